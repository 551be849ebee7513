/* Cacherr's one clock: every time on every page is shown the same way, relative ("5 min ago", "in 12 min"),
   with the local time in the configured TZ on hover (the title attribute). The server passes TZ (an IANA
   name) and its current UTC offset in <meta name="tz"> / <meta name="tz-offset">.
   Markup: <time datetime="ISO" data-clock></time>; cacherrClock.refresh() renders them all (every 30 s). */
(function () {
  "use strict";

  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; };
  var TZ = meta("tz") || "UTC";
  var OFFSET = parseInt(meta("tz-offset") || "0", 10) || 0;  /* minutes east of UTC, for browsers without the zone */

  function parse(iso) {
    if (iso == null || iso === "") return null;
    var d = iso instanceof Date ? iso : new Date(String(iso).replace(" ", "T"));
    return isNaN(d.getTime()) ? null : d;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  var formatter = null;
  try {
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" });
  } catch (e) { formatter = null; }

  /* "2026-12-02 14:05:09 CET": the local time in the configured TZ */
  function local(value) {
    var d = parse(value);
    if (!d) return "";
    if (formatter) {
      var parts = {};
      formatter.formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
      var hour = parts.hour === "24" ? "00" : parts.hour;
      return parts.year + "-" + parts.month + "-" + parts.day + " " + hour + ":" + parts.minute + ":" + parts.second +
        " " + (parts.timeZoneName || TZ);
    }
    var s = new Date(d.getTime() + OFFSET * 60000);
    var sign = OFFSET >= 0 ? "+" : "-", off = Math.abs(OFFSET);
    return s.getUTCFullYear() + "-" + pad(s.getUTCMonth() + 1) + "-" + pad(s.getUTCDate()) + " " + pad(s.getUTCHours()) +
      ":" + pad(s.getUTCMinutes()) + ":" + pad(s.getUTCSeconds()) + " UTC" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  /* "just now", "5 min ago", "in 12 min", "3 h ago", "2 days ago" */
  function relative(value, now) {
    var d = parse(value);
    if (!d) return "–";
    var s = ((now || Date.now()) - d.getTime()) / 1000, abs = Math.abs(s), txt;
    if (abs < 45) return s >= 0 ? "just now" : "in a few seconds";
    if (abs < 3600) txt = Math.max(1, Math.round(abs / 60)) + " min";
    else if (abs < 86400) { var h = Math.round(abs / 3600); txt = h + " h"; }
    else { var n = Math.round(abs / 86400); txt = n + (n === 1 ? " day" : " days"); }
    return s >= 0 ? txt + " ago" : "in " + txt;
  }

  function render(node) {
    var iso = node.getAttribute("datetime");
    if (!parse(iso)) return;
    node.textContent = relative(iso);
    node.title = local(iso);
  }

  /* a <time> element for an ISO time, already rendered */
  function node(iso) {
    var t = document.createElement("time");
    if (iso) { t.setAttribute("datetime", String(iso)); t.setAttribute("data-clock", ""); render(t); }
    else t.textContent = "–";
    return t;
  }

  function refresh(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("time[data-clock]"), render);
  }

  window.cacherrClock = { tz: TZ, parse: parse, local: local, relative: relative, render: render, node: node, refresh: refresh };
  document.addEventListener("DOMContentLoaded", function () { refresh(); setInterval(refresh, 30000); });
})();
