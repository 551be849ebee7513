/* History page: "More" pages older cycles and file operations in (keyset: ?before=ID), and the page keeps
   itself up to date like the others: it polls the status and fetches the cycles and operations that are new
   (or were still running). Rows are HTML rendered by the server's own macros (dashboard_history.py). */
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var base = window.location.pathname.replace(/\/+$/, "");  /* .../history */

  function fragment(path, params) {
    var q = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(base + path + "?" + q, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html, next: r.headers.get("X-Next-Before") || "" }; }); });
  }
  function parse(html, wrap) {
    var t = document.createElement("template");
    t.innerHTML = wrap ? "<table>" + html + "</table>" : "<table><tbody>" + html + "</tbody></table>";
    return t.content;
  }
  function clock(root) { if (window.cacherrClock) window.cacherrClock.refresh(root); }

  function more(button, path, append) {
    if (!button) return;
    button.addEventListener("click", function () {
      button.disabled = true;
      fragment(path, { before: button.getAttribute("data-before") }).then(function (r) {
        button.disabled = false;
        if (!r.ok) return;
        append(r.html);
        button.setAttribute("data-before", r.next);
        button.hidden = !r.next;
      });
    });
  }

  function addCycles(html, atTop) {
    var table = $("#cycles-table"), open = {};
    $$("tbody.cycle details[open]", table).forEach(function (d) { open[d.closest("tbody").id] = true; });
    var first = $("tbody.cycle", table);
    $$("tbody.cycle", parse(html, true)).forEach(function (body) {
      if (open[body.id]) { var d = $("details", body); if (d) d.open = true; }
      var old = document.getElementById(body.id);
      if (old) old.parentNode.replaceChild(body, old);
      else if (atTop && first) table.insertBefore(body, first);
      else table.appendChild(body);
      clock(body);
    });
    table.hidden = !$("tbody.cycle", table);
    $("#cycles-empty").hidden = !table.hidden;
  }
  function addOps(html, atTop) {
    var rows = $("#ops-rows"), first = rows.firstElementChild;
    $$("tr", parse(html, false)).forEach(function (tr) {
      var old = document.getElementById(tr.id);
      if (old) old.parentNode.replaceChild(tr, old);
      else if (atTop && first) rows.insertBefore(tr, first);
      else rows.appendChild(tr);
      clock(tr);
    });
    $("#ops-table").hidden = !rows.firstElementChild;
    $("#ops-empty").hidden = !$("#ops-table").hidden;
  }

  /* live: the cycles from the oldest one still running (or the newest shown) on, and operations likewise */
  function since(selector, attr, busy) {
    var ids = $$(selector).filter(busy).map(function (n) { return Number(n.getAttribute(attr)); });
    if (ids.length) return Math.min.apply(null, ids);
    var top = $(selector);
    return top ? Number(top.getAttribute(attr)) : 1;
  }
  var seen = null;
  function live() {
    window.cacherr.api("GET", "/status").then(function (r) {
      if (!r.ok) return;
      var s = r.data, key = [s.last_cycle ? s.last_cycle.id : 0, s.running_cycle ? s.running_cycle.id : 0, s.operations.length].join(":");
      if (key === seen && !$$("tbody.cycle[data-status=running]").length && !s.operations.length) return;
      seen = key;
      var c = since("tbody.cycle", "data-id", function (n) { return n.getAttribute("data-status") === "running"; });
      fragment("/cycles", { since: c }).then(function (f) { if (f.ok) addCycles(f.html, true); });
      var o = since("#ops-rows tr", "data-id", function (n) { return /active/.test(n.textContent); });
      fragment("/operations", { since: o }).then(function (f) { if (f.ok) addOps(f.html, true); });
      window.cacherr.api("GET", "/cycles?limit=1").then(function (t) { if (t.ok) $("#cycles-total").textContent = t.data.total; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    more($("#cycles-more"), "/cycles", function (html) { addCycles(html, false); });
    more($("#ops-more"), "/operations", function (html) { addOps(html, false); });
    var hash = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (hash) { var d = $("details", hash); if (d) d.open = true; hash.scrollIntoView(); }
    /* live updates on the newest page only: an older page (?cycle=, ?before=) stays where it was opened */
    if (!/[?&](cycle|before)=/.test(window.location.search)) setInterval(live, 3000);
  });
})();
