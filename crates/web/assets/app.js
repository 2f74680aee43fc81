// Formula PM's own script: small progressive enhancements only. Every page works without it.
(function () {
  "use strict";
  // Lets the stylesheet hide controls that only matter without JavaScript (e.g. row Save buttons).
  document.documentElement.classList.add("js");

  // Send the CSRF token with every htmx request (read from the <meta name="csrf-token"> tag).
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { evt.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });

  // The search box in the header: "/" goes to it (unless one is typing somewhere), Escape leaves it.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "/" || evt.ctrlKey || evt.metaKey || evt.altKey || evt.defaultPrevented) { return; }
    var at = evt.target;
    if (at && (at.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(at.tagName))) { return; }
    var box = document.getElementById("site-search-q");
    if (!box) { return; }
    evt.preventDefault();
    box.focus();
    box.select();
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && evt.target && evt.target.id === "site-search-q") { evt.target.blur(); }
  });

  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { evt.preventDefault(); evt.stopImmediatePropagation(); }
  }, true);

  // htmx does not swap error responses it was not told to; say what happened instead.
  function showError(text) {
    var box = document.getElementById("request-error");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-error");
    if (box) { box.hidden = true; }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    var why = status === 403 ? "you may not do this, or the page has expired (reload it)"
      : status === 404 ? "it no longer exists"
      : status === 429 ? "too many requests; wait a moment"
      : "the server answered with an error (" + status + ")";
    showError("That did not work: " + why + ". Nothing else on the page was changed.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check the connection and try again.");
  });

  // Drag and drop to reorder scope items (rows of tbody[data-group]); the ↑ ↓ buttons do the same
  // without JavaScript. The server renumbers the group; the page then reloads.
  var dragged = null;
  function rowsOf(tbody) {
    return Array.prototype.filter.call(tbody.rows, function (r) { return r !== dragged; });
  }
  document.querySelectorAll("tbody[data-group] > tr").forEach(function (r) { r.draggable = true; });
  document.addEventListener("dragstart", function (evt) {
    var row = evt.target.closest && evt.target.closest("tbody[data-group] > tr");
    if (!row) { return; }
    dragged = row;
    row.classList.add("is-dragging");
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData("text/plain", row.id);
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    document.querySelectorAll("tr.drop-before").forEach(function (r) { r.classList.remove("drop-before"); });
    dragged = null;
  });
  document.addEventListener("dragover", function (evt) {
    var tbody = dragged && evt.target.closest && evt.target.closest("tbody[data-group]");
    if (!tbody) { return; }
    evt.preventDefault();
    document.querySelectorAll("tr.drop-before").forEach(function (r) { r.classList.remove("drop-before"); });
    var row = evt.target.closest("tr");
    if (row && row !== dragged) { row.classList.add("drop-before"); }
  });
  document.addEventListener("drop", function (evt) {
    var tbody = dragged && evt.target.closest && evt.target.closest("tbody[data-group]");
    if (!tbody) { return; }
    evt.preventDefault();
    var target = evt.target.closest("tr");
    var rows = rowsOf(tbody);
    var index = target && target !== dragged ? rows.indexOf(target) : rows.length;
    var meta = document.querySelector('meta[name="csrf-token"]');
    var body = new URLSearchParams();
    body.set("_csrf", meta ? meta.getAttribute("content") : "");
    body.set("index", String(index < 0 ? rows.length : index));
    body.set("group_id", tbody.getAttribute("data-group"));
    body.set("version", dragged.getAttribute("data-v"));
    fetch("/scope-items/" + dragged.id.replace("item-", "") + "/move", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) {
        if (resp.ok) { window.location.reload(); return; }
        showError(resp.status === 409 ? "Someone changed this item first. Reload to see the latest order."
          : "That did not work (the server answered " + resp.status + "). Nothing was moved.");
      })
      .catch(function () { showError("The server could not be reached. Nothing was moved."); });
  });

  // Dates and times marked <time data-local> in the reader's locale, in one style everywhere:
  // the server's "21 Mar 2026" and "21 Mar 2026, 14:58 UTC" become e.g. "21 Mar 2026" and
  // "21 Mar 2026, 14:58" (en-GB) or "Mar 21, 2026" and "Mar 21, 2026, 2:58 PM" (en-US).
  // A plain date (YYYY-MM-DD) is a calendar day, not an instant: it is shown as that day.
  var dayFormat = null, stampFormat = null;
  try {
    dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
    stampFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) { /* an old browser: the server's text stays */ }
  function localise(root) {
    if (!dayFormat || !stampFormat) { return; }
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var value = el.getAttribute("datetime") || "";
      var isDay = /^\d{4}-\d{2}-\d{2}$/.test(value);
      var d = new Date(isDay ? value + "T00:00:00Z" : value);
      if (!isNaN(d)) { el.textContent = (isDay ? dayFormat : stampFormat).format(d); }
    });
  }
  // Live updates (/events): when the project on screen changes elsewhere, say so and offer
  // to reload; the page never reloads by itself, so nothing being typed is lost.
  function listen() {
    var marked = document.querySelector("[data-live-project]");
    if (!marked || !window.EventSource) { return; }
    var project = marked.getAttribute("data-live-project");
    var source = new EventSource("/events");
    var notice = null;
    function changed() {
      if (notice) { return; }
      notice = document.createElement("div");
      notice.className = "flash flash-warning";
      notice.setAttribute("role", "status");
      notice.textContent = "This project has just been changed by someone else. ";
      var reload = document.createElement("a");
      reload.href = window.location.href;
      reload.textContent = "Reload to see the changes";
      notice.appendChild(reload);
      marked.parentNode.insertBefore(notice, marked.nextSibling);
    }
    source.addEventListener("change", function (evt) {
      try {
        if (JSON.parse(evt.data).project_id === project) { changed(); }
      } catch (e) { /* not an event of ours */ }
    });
    source.addEventListener("resync", changed);
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // @mentions: typing "@da" in a comment box offers the people who can see the record (the
  // box's data-mentions is where to ask); arrow keys choose, Enter or Tab inserts "@handle ",
  // Escape closes. Without JavaScript, typing the handle works the same.
  function mentions(box) {
    var source = box.getAttribute("data-mentions");
    var menu = document.createElement("ul");
    menu.className = "mention-menu";
    menu.id = box.id + "-people";
    menu.setAttribute("role", "listbox");
    menu.setAttribute("aria-label", "People to mention");
    menu.hidden = true;
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", menu.id);
    box.insertAdjacentElement("afterend", menu);
    var people = [], active = 0, start = -1, asked = 0;
    function close() {
      asked++; // an answer still on its way is for text that is gone
      menu.hidden = true;
      people = [];
      start = -1;
      box.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      var p = people[i];
      if (!p || start < 0) { return; }
      var caret = box.selectionStart;
      box.value = box.value.slice(0, start) + "@" + p.handle + " " + box.value.slice(caret);
      var at = start + p.handle.length + 2;
      box.setSelectionRange(at, at);
      close();
      box.focus();
    }
    function draw() {
      menu.textContent = "";
      people.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = menu.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        var name = document.createElement("strong");
        name.textContent = p.name;
        var handle = document.createElement("span");
        handle.className = "muted";
        handle.textContent = "@" + p.handle + (p.client ? " · client" : "");
        li.appendChild(name);
        li.appendChild(handle);
        // mousedown, not click: the box keeps its focus and caret.
        li.addEventListener("mousedown", function (evt) { evt.preventDefault(); choose(i); });
        menu.appendChild(li);
      });
      menu.hidden = people.length === 0;
      if (people.length) { box.setAttribute("aria-activedescendant", menu.id + "-" + active); }
    }
    box.addEventListener("input", function () {
      var caret = box.selectionStart;
      var typed = /(^|[^A-Za-z0-9._+@-])@([A-Za-z0-9._+-]{0,40})$/.exec(box.value.slice(0, caret));
      if (!typed) { close(); return; }
      start = caret - typed[2].length - 1;
      var mine = ++asked;
      fetch(source + "&q=" + encodeURIComponent(typed[2]), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { return resp.ok ? resp.json() : []; })
        .then(function (list) {
          if (mine !== asked) { return; }
          people = list;
          active = 0;
          draw();
        })
        .catch(close);
    });
    box.addEventListener("keydown", function (evt) {
      if (menu.hidden) { return; }
      if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
        evt.preventDefault();
        active = (active + (evt.key === "ArrowDown" ? 1 : people.length - 1)) % people.length;
        draw();
      } else if (evt.key === "Enter" || evt.key === "Tab") {
        evt.preventDefault();
        choose(active);
      } else if (evt.key === "Escape") {
        close();
      }
    });
    box.addEventListener("blur", close);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    listen();
    document.querySelectorAll("textarea[data-mentions]").forEach(mentions);
  });
  document.addEventListener("htmx:afterSettle", function () { localise(document); });
})();
