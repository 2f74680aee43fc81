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
  // Live updates (/events). The parts of a page that other people's changes affect are
  // marked data-live="<what>:<id> …": "task:<project id>" is any change to that project's
  // tasks, "comment:<record id>" a change to that record's discussion, "*:<id>" any change
  // naming that id (a change names its own id, its project's, and any other id it carries).
  // When a change arrives that a part names, the part is fetched again — from its
  // data-live-src if it has one, else from the page's own address — and the element with
  // the same id in the answer takes its place. So what it shows comes through an ordinary,
  // authorised page with the reader's own permissions. A part being typed in is left alone
  // (a notice says it changed); one with the focus or a request under way waits until it is
  // free. The server never sends anyone their own changes. Another part (a bell, say) joins
  // by carrying data-live and data-live-src, and an id.
  var live = { waiting: {}, timer: null, opened: 0, notice: null, source: null };
  function pageUrl() { return window.location.pathname + window.location.search; }
  function regions() { return Array.prototype.slice.call(document.querySelectorAll("[data-live][id]")); }
  function names(region, change) {
    var entity = String(change.kind || "").split(".")[0];
    return (region.getAttribute("data-live") || "").split(/\s+/).some(function (token) {
      var at = token.indexOf(":");
      if (at < 1) { return false; }
      var what = token.slice(0, at), id = token.slice(at + 1);
      if (what !== "*" && what !== entity) { return false; }
      return Object.keys(change).some(function (k) { return k !== "kind" && change[k] === id; });
    });
  }
  // Why a part cannot be replaced now: "typing" (a changed field: replacing it would lose
  // what was typed), "busy" (a text field has the focus, or a request from it is under way).
  var TEXTLESS = /^(button|submit|reset|checkbox|radio|hidden|file|image|range|color)$/;
  function changedField(f) {
    if (f.type === "hidden" || f.type === "submit" || f.type === "button" || f.type === "reset") { return false; }
    if (f.type === "checkbox" || f.type === "radio") { return f.checked !== f.defaultChecked; }
    if (f.type === "file") { return !!(f.files && f.files.length); }
    if (f.tagName === "SELECT") {
      var opts = Array.prototype.slice.call(f.options);
      if (!opts.some(function (o) { return o.defaultSelected; })) { return f.selectedIndex > 0; }
      return opts.some(function (o) { return o.selected !== o.defaultSelected; });
    }
    return f.value !== f.defaultValue;
  }
  function hold(region) {
    if (Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), changedField)) { return "typing"; }
    var el = document.activeElement;
    if (el && el !== region && region.contains(el) && (el.tagName === "TEXTAREA" || el.isContentEditable
      || (el.tagName === "INPUT" && !TEXTLESS.test(el.type)))) { return "busy"; }
    if (region.classList.contains("htmx-request") || region.querySelector(".htmx-request")) { return "busy"; }
    return null;
  }
  function notice(text, lasting) {
    if (!live.notice) {
      live.notice = document.createElement("div");
      live.notice.id = "live-notice";
      live.notice.className = "flash flash-warning";
      live.notice.setAttribute("role", "status");
      var main = document.getElementById("main");
      if (main) { main.insertBefore(live.notice, main.firstChild); }
    }
    live.notice.textContent = text + " ";
    live.notice.setAttribute("data-lasting", lasting ? "1" : "");
    var reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = "Reload to see the changes";
    live.notice.appendChild(reload);
  }
  function quiet() {
    var typing = Object.keys(live.waiting).some(function (id) { return live.waiting[id] === "typing"; });
    if (live.notice && !typing && !live.notice.getAttribute("data-lasting")) { live.notice.remove(); live.notice = null; }
  }
  // After a part is replaced: what the page's script does to a fresh page, done to it.
  function enhance(root) {
    if (window.htmx) { window.htmx.process(root); }
    localise(root);
    root.querySelectorAll("textarea[data-mentions]").forEach(mentions);
    root.querySelectorAll("tbody[data-group] > tr").forEach(function (r) { r.draggable = true; });
  }
  function swap(id, doc) {
    var region = document.getElementById(id);
    var fresh = doc.getElementById(id);
    if (!region || !fresh) { return; }
    var why = hold(region);
    if (why) {
      live.waiting[id] = why;
      if (why === "typing") { notice("Someone else has just changed this while you were typing here; what you typed is kept."); }
      return;
    }
    delete live.waiting[id];
    var before = {};
    region.querySelectorAll("[id]").forEach(function (el) { before[el.id] = true; });
    var open = Array.prototype.map.call(region.querySelectorAll("details"), function (d) { return d.open; });
    var focused = document.activeElement && region.contains(document.activeElement) ? document.activeElement.id : "";
    fresh = document.importNode(fresh, true);
    fresh.querySelectorAll("details").forEach(function (d, i) { if (open[i]) { d.open = true; } });
    region.replaceWith(fresh);
    enhance(fresh);
    fresh.querySelectorAll("tr[id], li[id]").forEach(function (el) {
      if (!before[el.id]) { el.classList.add("live-new"); }
    });
    var again = focused && document.getElementById(focused);
    if (again && fresh.contains(again)) { again.focus(); }
  }
  // Fetches the parts named by id, grouped by where they come from, and swaps them in.
  function refresh(ids) {
    var bySrc = {};
    ids.forEach(function (id) {
      delete live.waiting[id];
      var region = document.getElementById(id);
      if (!region) { return; }
      var src = region.getAttribute("data-live-src") || "";
      (bySrc[src] = bySrc[src] || []).push(id);
    });
    Object.keys(bySrc).forEach(function (src) {
      var url = src || pageUrl();
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "X-Live": "1" } })
        .then(function (resp) {
          if (!resp.ok || resp.redirected) { throw new Error(String(resp.status)); }
          return resp.text();
        })
        .then(function (html) {
          // The reader moved on (filters, paging) while it loaded: fetch the new page instead.
          if (!src && url !== pageUrl()) { schedule(bySrc[src]); return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          bySrc[src].forEach(function (id) { swap(id, doc); });
          quiet();
        })
        .catch(function () { notice("This page has changed, or is no longer there.", true); });
    });
  }
  // Changes often come in bursts (an import, a bulk move) and reach every reader at once:
  // wait a moment, a little longer for some readers than for others, then fetch once.
  function schedule(ids) {
    ids.forEach(function (id) { live.waiting[id] = live.waiting[id] || "due"; });
    if (live.timer) { return; }
    live.timer = window.setTimeout(function () {
      live.timer = null;
      var due = Object.keys(live.waiting).filter(function (id) { return live.waiting[id] === "due"; });
      refresh(due);
    }, 150 + Math.floor(Math.random() * 350));
  }
  // Parts left waiting are tried again once the reader lets go of them.
  function retry() {
    window.setTimeout(function () {
      var free = Object.keys(live.waiting).filter(function (id) {
        var region = document.getElementById(id);
        if (!region) { delete live.waiting[id]; return false; }
        return live.waiting[id] !== "due" && !hold(region);
      });
      if (free.length) { free.forEach(function (id) { live.waiting[id] = "due"; }); schedule(free); }
      quiet();
    }, 0);
  }
  function listen() {
    if (live.source || !regions().length || !window.EventSource) { return; }
    var source = live.source = new EventSource("/events");
    source.addEventListener("error", function () { document.documentElement.setAttribute("data-live-state", "reconnecting"); });
    source.addEventListener("open", function () {
      document.documentElement.setAttribute("data-live-state", "open");
      // After a dropped connection changes may have been missed: fetch every part again.
      if (live.opened++ > 0) { schedule(regions().map(function (r) { return r.id; })); }
    });
    source.addEventListener("change", function (evt) {
      var change;
      try { change = JSON.parse(evt.data); } catch (e) { return; }
      schedule(regions().filter(function (r) { return names(r, change); }).map(function (r) { return r.id; }));
    });
    source.addEventListener("resync", function () { schedule(regions().map(function (r) { return r.id; })); });
  }
  window.addEventListener("pagehide", function () {
    if (live.source) { live.source.close(); live.source = null; live.opened = 0; }
  });
  // Back to a page kept in the browser's memory: listen again, and catch up.
  window.addEventListener("pageshow", function (evt) {
    if (!evt.persisted) { return; }
    listen();
    schedule(regions().map(function (r) { return r.id; }));
  });
  ["focusout", "htmx:afterSettle", "submit", "reset"].forEach(function (name) { document.addEventListener(name, retry); });

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

// Uploads on a poor connection (phones on site): a form marked data-retry-upload is sent with
// fetch, and when the connection drops before any answer it is sent again, up to three times,
// with the same fields — the same idempotency key, so the server creates the record once
// however many of the tries arrived. Any answer ends the tries: a redirect (done) is
// followed; anything else is sent once more as a plain form, so the page the server renders
// (the reason a file was refused) is shown as without JavaScript.
(function () {
  "use strict";
  var WAITS = [1000, 3000, 9000];
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (evt.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-retry-upload") || !window.fetch || !window.FormData) { return; }
    evt.preventDefault();
    var data = new FormData(form);
    var button = form.querySelector("button[type=submit]");
    var note = form.querySelector(".upload-retry");
    if (button) { button.disabled = true; }
    function plain() {
      form.removeAttribute("data-retry-upload");
      if (button) { button.disabled = false; }
      HTMLFormElement.prototype.submit.call(form);
    }
    // A fetched redirect's URL has lost its #fragment: the form names the one to land on.
    // Back to the same page, only the fragment would change, so it is loaded again.
    function land(url) {
      var anchor = form.getAttribute("data-retry-upload") || "";
      if (url === window.location.href.split("#")[0]) {
        if (anchor) { window.history.replaceState(null, "", url + anchor); }
        window.location.reload();
      } else {
        window.location.assign(url + anchor);
      }
    }
    function send(attempt) {
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (res) {
        if (res.redirected && res.ok) { land(res.url); } else { plain(); }
      }, function () {
        if (attempt >= WAITS.length) {
          if (note) { note.textContent = "The connection dropped; nothing was lost. Send again when you have signal."; }
          if (button) { button.disabled = false; }
          return;
        }
        if (note) { note.textContent = "The connection dropped; sending again…"; }
        window.setTimeout(function () { send(attempt + 1); }, WAITS[attempt]);
      });
    }
    send(0);
  });
  // The workshop boards: a card's button, or a drag of the card onto the next column, opens
  // one of the page's two shared dialogs (move on, QA check), filled from the card's data-ws-*
  // attributes (those a card does not carry come from its column, those of the project from
  // the board). Enter in the dialog sends it; Escape closes it. Without JavaScript the button
  // is a link to the card's own page.
  function ws(card, name) {
    if (card.hasAttribute(name)) { return card.getAttribute(name); }
    var col = card.closest(".ws-col"), board = card.closest("[data-ws-board]");
    if (col && col.hasAttribute(name)) { return col.getAttribute(name); }
    return board && board.hasAttribute(name) ? board.getAttribute(name) : null;
  }
  function openCard(card) {
    var qa = ws(card, "data-ws-qa") !== null;
    var dlg = document.getElementById(qa ? "ws-qa-dlg" : "ws-move-dlg");
    if (!dlg || !dlg.showModal) { return false; }
    var form = dlg.querySelector("form");
    var project = ws(card, "data-ws-project");
    form.action = form.getAttribute("data-ws-action").replace("{p}", project);
    form.reset();
    form.elements.scope_item_id.value = card.getAttribute("data-ws-item");
    if (form.elements.stage_id) { form.elements.stage_id.value = ws(card, "data-ws-next"); }
    var code = card.querySelector(".ws-head strong"), name = card.querySelector(".ws-name");
    var col = card.closest(".ws-col"), here = col && col.querySelector("h3");
    dlg.querySelector("[data-ws-what]").textContent = (code ? code.textContent : "") + " " + (name ? name.textContent : "") + ": "
      + card.getAttribute("data-ws-qty") + " at " + (here ? here.firstChild.textContent.trim() : "") + (qa ? "" : ", on to " + ws(card, "data-ws-to"));
    var qty = form.elements.quantity;
    qty.value = card.getAttribute("data-ws-qty");
    var back = form.elements.rework_stage_id;
    if (back) {
      var first = null;
      Array.prototype.forEach.call(back.options, function (o) {
        var other = o.hasAttribute("data-ws-project") && o.getAttribute("data-ws-project") !== project;
        o.hidden = o.disabled = other;
        if (!other && !first) { first = o; }
      });
      if (first) { back.value = first.value; }
    }
    dlg.showModal();
    qty.focus();
    qty.select();
    return true;
  }
  document.addEventListener("click", function (evt) {
    var open = evt.target.closest && evt.target.closest("a[data-ws-open]");
    if (open && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey && openCard(open.closest(".ws-card"))) { evt.preventDefault(); return; }
    var close = evt.target.closest && evt.target.closest("[data-ws-close]");
    if (close) { close.closest("dialog").close(); }
  });
  var dragged = null;
  document.addEventListener("dragstart", function (evt) {
    var card = evt.target.closest && evt.target.closest(".ws-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    if (evt.dataTransfer) { evt.dataTransfer.setData("text/plain", card.id); evt.dataTransfer.effectAllowed = "move"; }
  });
  function target(evt) {
    var col = evt.target.closest && evt.target.closest(".ws-col");
    return dragged && col && col.getAttribute("data-ws-key") === ws(dragged, "data-ws-next-key") ? col : null;
  }
  document.addEventListener("dragover", function (evt) {
    var col = target(evt);
    if (col) { evt.preventDefault(); col.classList.add("ws-over"); }
  });
  document.addEventListener("dragleave", function (evt) {
    var col = evt.target.closest && evt.target.closest(".ws-col");
    if (col) { col.classList.remove("ws-over"); }
  });
  document.addEventListener("dragend", function () { dragged = null; });
  document.addEventListener("drop", function (evt) {
    var col = target(evt);
    if (!col) { return; }
    evt.preventDefault();
    col.classList.remove("ws-over");
    var card = dragged;
    dragged = null;
    openCard(card);
  });
})();
// The Gantt chart: drag a bar to move a task, its right edge to change its finish; the arrow
// keys do the same on a focused bar (Shift changes the finish), Enter saves and Escape cancels.
// Saving is the task API's PATCH with the bar's version, so a task changed meanwhile is refused
// and the chart reloads; successors move only when "Reschedule" is applied.
(function () {
  var svg = document.querySelector("svg.gantt");
  if (!svg) { return; }
  var dayPx = parseInt(svg.getAttribute("data-day-px"), 10) || 8;
  var status = document.getElementById("gantt-status");
  var live = null; // { g, bar, x, w, move, size }
  // Open on today (a little right of the chart's left edge); when the plan starts further on
  // than the screen reaches, open on its first bar instead of an empty chart.
  var todayLine = svg.querySelector("line.gantt-today");
  var scroller = svg.parentNode;
  if (scroller) {
    var at = todayLine ? +todayLine.getAttribute("x1") : 0;
    var first = Infinity;
    svg.querySelectorAll("rect.bar").forEach(function (r) { first = Math.min(first, +r.getAttribute("x")); });
    if (first !== Infinity && first > at + scroller.clientWidth - 240) { at = first; }
    scroller.scrollLeft = Math.max(0, at - 240);
  }
  // A bar's last pixels are its right edge, which changes the finish (no element of its own:
  // a thousand bars would carry a thousand more).
  var EDGE = 6;
  function atEdge(evt) { return evt.clientX >= evt.target.getBoundingClientRect().right - EDGE; }
  // A bar is labelled by its row in the list of names, which holds its task's link and dates.
  function rowOf(bar) { return document.getElementById(bar.getAttribute("aria-labelledby") || ""); }
  function taskId(bar) {
    var a = rowOf(bar) && rowOf(bar).querySelector("a[href^='/tasks/']");
    return a ? a.getAttribute("href").slice("/tasks/".length) : "";
  }
  // The tooltip (name, dates, float) is made from that row when the pointer first comes by.
  svg.addEventListener("pointerover", function (evt) {
    var bar = evt.target;
    if (!bar.matches || !bar.matches("rect.bar, polygon.bar") || bar.querySelector("title")) { return; }
    var row = rowOf(bar);
    if (!row) { return; }
    var tip = document.createElementNS("http://www.w3.org/2000/svg", "title");
    tip.textContent = row.textContent.replace(/\s+/g, " ").trim();
    bar.appendChild(tip);
  });
  function say(text) { if (status) { status.textContent = text; } }
  function shift(iso, days) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }
  function begin(g) {
    var bar = g.querySelector("rect.bar");
    if (!bar) { return null; }
    return { g: g, bar: bar, x: +bar.getAttribute("x"), w: +bar.getAttribute("width"), move: 0, size: 0 };
  }
  function draw(s) {
    var w = Math.max(dayPx, s.w + s.size * dayPx);
    s.bar.setAttribute("x", s.x + s.move * dayPx);
    s.bar.setAttribute("width", w);
    var start = shift(s.g.getAttribute("data-start"), s.move);
    var finish = shift(s.g.getAttribute("data-finish"), s.move + s.size);
    if (finish < start) { finish = start; }
    s.g.classList.toggle("moving", s.move !== 0 || s.size !== 0);
    return { start: start, finish: finish };
  }
  function reset(s) { s.move = 0; s.size = 0; draw(s); }
  function save(s) {
    var dates = draw(s);
    if (s.move === 0 && s.size === 0) { return; }
    var meta = document.querySelector('meta[name="csrf-token"]');
    say("Saving…");
    fetch("/api/v1/tasks/" + taskId(s.bar), {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.getAttribute("content") : "" },
      body: JSON.stringify({ version: +s.g.getAttribute("data-version"), start_date: dates.start, due_date: dates.finish })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok) {
          say("Saved: " + dates.start + " to " + dates.finish + ". Reschedule to move what follows it.");
          window.location.reload();
        } else {
          reset(s);
          say((body && (body.detail || body.message)) || "Not saved (" + res.status + ").");
          if (res.status === 409 || res.status === 412) { window.setTimeout(function () { window.location.reload(); }, 1500); }
        }
      });
    }, function () { reset(s); say("The connection dropped; nothing was changed."); });
  }
  svg.addEventListener("pointerdown", function (evt) {
    var g = evt.target.closest("g.gantt-task");
    if (!g || !evt.target.matches("rect.bar") || g.hasAttribute("data-milestone")) { return; }
    live = begin(g);
    if (!live) { return; }
    live.resize = atEdge(evt);
    live.from = evt.clientX;
    svg.setPointerCapture(evt.pointerId);
    evt.preventDefault();
  });
  svg.addEventListener("pointermove", function (evt) {
    if (!live) {
      // Hovering: the resize cursor over a bar's right edge.
      svg.classList.toggle("gantt-at-edge", !!(evt.target.matches && evt.target.matches("rect.bar") && atEdge(evt)));
      return;
    }
    var days = Math.round((evt.clientX - live.from) / dayPx);
    if (live.resize) { live.size = days; } else { live.move = days; }
    var d = draw(live);
    say(d.start + " to " + d.finish);
  });
  svg.addEventListener("pointerup", function () {
    if (!live) { return; }
    var s = live;
    live = null;
    save(s);
  });
  svg.addEventListener("keydown", function (evt) {
    var g = evt.target.closest && evt.target.closest("g.gantt-task");
    if (!g || g.hasAttribute("data-milestone")) { return; }
    if (!g.pending) { g.pending = begin(g); }
    var s = g.pending;
    if (!s) { return; }
    if (evt.key === "ArrowLeft" || evt.key === "ArrowRight") {
      var step = evt.key === "ArrowLeft" ? -1 : 1;
      if (evt.shiftKey) { s.size += step; } else { s.move += step; }
      var d = draw(s);
      say(d.start + " to " + d.finish + ": Enter saves, Escape cancels.");
      evt.preventDefault();
    } else if (evt.key === "Enter") {
      g.pending = null;
      save(s);
      evt.preventDefault();
    } else if (evt.key === "Escape") {
      g.pending = null;
      reset(s);
      say("");
    }
  });
})();

// The task board: a card dragged onto another column is moved there by its own "Move to"
// form (the one the keyboard uses), so a drop is an ordinary submit: the server saves it
// compare-and-set and sends the board back; a stale card comes back with a message.
(function () {
  "use strict";
  // A row's box for the bulk bar belongs to the bar's form, not to the row: its change must
  // not reach the row, which saves itself on any change.
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t && t.name === "task" && t.getAttribute("form") === "bulk-form") { evt.stopPropagation(); }
  }, true);
  var dragged = null;
  document.addEventListener("dragstart", function (evt) {
    var card = evt.target.closest && evt.target.closest(".tb-card[data-tb-card]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("is-dragging");
    if (evt.dataTransfer) { evt.dataTransfer.setData("text/plain", card.id); evt.dataTransfer.effectAllowed = "move"; }
  });
  function column(evt) {
    var col = evt.target.closest && evt.target.closest(".tb-col[data-tb-status]");
    return dragged && col && !col.contains(dragged) ? col : null;
  }
  document.addEventListener("dragover", function (evt) {
    var col = column(evt);
    if (col) { evt.preventDefault(); col.classList.add("tb-over"); }
  });
  document.addEventListener("dragleave", function (evt) {
    var col = evt.target.closest && evt.target.closest(".tb-col");
    if (col && !col.contains(evt.relatedTarget)) { col.classList.remove("tb-over"); }
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    document.querySelectorAll(".tb-over").forEach(function (c) { c.classList.remove("tb-over"); });
    dragged = null;
  });
  document.addEventListener("drop", function (evt) {
    var col = column(evt);
    if (!col) { return; }
    evt.preventDefault();
    col.classList.remove("tb-over");
    var form = dragged.querySelector("form.tb-move");
    var select = form && form.querySelector("select[name=status]");
    dragged = null;
    if (!select) { return; }
    select.value = col.getAttribute("data-tb-status");
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
