// Switchboard's page: the list refreshes its rows, and a delivery that is
// still running refreshes its summary, rules and actions. Everything drawn
// comes from the server's html/template output, which escapes it.
"use strict";
(function () {
  function every(ms, fn) {
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fn().finally(function () { busy = false; });
    }, ms);
  }

  function say(el, text) { if (el) { el.textContent = text; } }

  function expired(status, live) {
    if (status === 401) {
      say(live, "Session expired: log in again.");
      window.location.assign("/ui/login");
      return true;
    }
    return false;
  }

  var live = document.getElementById("live");
  var rows = document.getElementById("rows");
  if (live && rows && live.dataset.rows) {
    var ms = parseInt(live.dataset.poll, 10) || 3000;
    every(ms, function () {
      return fetch(live.dataset.rows, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) {
          if (expired(r.status, live)) { return; }
          if (!r.ok) { say(live, "Refresh failed (" + r.status + "); retrying."); return; }
          return r.text().then(function (html) {
            if (html !== rows.innerHTML) {
              rows.innerHTML = html;
              say(live, "Refreshing by itself; last change at " + new Date().toLocaleTimeString() + ".");
            }
          });
        })
        .catch(function () { say(live, "Server unreachable; retrying."); });
    });
  }

  var part = document.getElementById("refresh");
  if (part && part.dataset.live) {
    every(3000, function () {
      if (!part.dataset.live) { return Promise.resolve(); }
      return fetch(window.location.pathname, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) {
          if (expired(r.status, null) || !r.ok) { return; }
          return r.text().then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var next = doc.getElementById("refresh");
            if (!next) { return; }
            part.innerHTML = next.innerHTML;
            if (!next.dataset.live) { delete part.dataset.live; }
          });
        })
        .catch(function () {});
    });
  }
})();
