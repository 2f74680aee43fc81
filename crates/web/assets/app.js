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

  // Show dates in the reader's locale where marked with <time data-local>.
  function localise(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = d.toLocaleString(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:afterSettle", function () { localise(document); });
})();
