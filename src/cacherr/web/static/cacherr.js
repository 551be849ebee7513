/* Cacherr dashboard: a little plain JS. Polls the JSON API; no framework, no CDN. */
(function () {
  "use strict";

  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; };
  var API = meta("api-base") || "/api/v1";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": meta("csrf-token") } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(API + path, opts).then(function (r) {
      if (r.status === 401) { window.location.href = "login?next=" + encodeURIComponent(window.location.pathname); }
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, ok: r.ok, data: data }; });
    });
  }

  var toastTimer = null;
  function toast(message, kind) {
    var t = $("#toast");
    if (!t) return;
    t.textContent = message;
    t.className = "toast " + (kind || "info");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 5000);
  }

  function bytes(n) {
    if (n == null) return "–";
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0, v = Number(n);
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }
  /* one clock for every page (static/clock.js): relative, the local time in TZ on hover */
  function when(iso) { return window.cacherrClock ? window.cacherrClock.relative(iso) : (iso || "–"); }
  function setTime(sel, iso, prefix) {
    var n = $(sel);
    if (!n) return;
    n.textContent = "";
    if (prefix) n.appendChild(document.createTextNode(prefix));
    n.appendChild(window.cacherrClock ? window.cacherrClock.node(iso) : document.createTextNode(iso || "–"));
  }
  function setText(sel, text) { var n = $(sel); if (n) n.textContent = text; }
  function setDot(sel, ok) { var n = $(sel); if (n) n.className = "dot " + (ok === true ? "ok" : ok === false ? "bad" : "unknown"); }

  /* ---- overview -------------------------------------------------------------------------- */
  function renderOps(ops) {
    var list = $("#ops");
    if (!list) return;
    var seen = {};
    ops.forEach(function (op) {
      var id = "op-" + op.op_id;
      seen[id] = true;
      var li = document.getElementById(id);
      if (!li) {
        li = el("li", { id: id, cls: "op" }, [
          el("div", { cls: "op-title" }, [el("strong", { text: op.title || op.path }), el("span", { cls: "badge", text: op.kind })]),
          el("progress", { max: "100", value: "0" }),
          el("div", { cls: "op-meta muted" })]);
        list.appendChild(li);
      }
      $("progress", li).value = op.percent;
      $("progress", li).setAttribute("data-percent", String(op.percent));
      var eta = op.eta_seconds != null ? ", " + Math.round(op.eta_seconds) + " s left" : "";
      $(".op-meta", li).textContent = bytes(op.bytes_done) + " of " + bytes(op.bytes_total) + " · " +
        bytes(op.bytes_per_second) + "/s" + eta + " · " + op.percent.toFixed(0) + "%";
    });
    $$(".op", list).forEach(function (li) {
      if (!seen[li.id]) {  /* finished: show it full for a moment, then drop it */
        $("progress", li).value = 100;
        li.classList.add("done");
        setTimeout(function () { if (li.parentNode) li.parentNode.removeChild(li); }, 4000);
        li.id = li.id + "-done";
      }
    });
    $("#ops-empty").hidden = ops.length > 0 || $$(".op", list).length > 0;
  }

  function renderStatus(s) {
    var c = s.cache, limit = c.budget_bytes || c.total_bytes || 1;
    var m = $("#cache-meter");
    if (m) { m.max = limit; m.value = c.by_cacherr_bytes; }
    setText("#cache-used", bytes(c.by_cacherr_bytes));
    setText("#cache-budget", c.budget_bytes ? bytes(c.budget_bytes) : "no limit");
    setText("#cache-entries", String(c.entries));
    setText("#cache-drive-used", bytes(c.used_bytes));
    setText("#cache-free", bytes(c.free_bytes));
    var last = s.last_cycle;
    var incomplete = last && ((last.summary || {}).problems || []).some(function (p) { return String(p).indexOf("incomplete snapshot") === 0; });
    if (last) setTime("#last-cycle", last.finished_at || last.started_at, last.status + (last.dry_run && last.status !== "dry-run" ? " (dry run)" : "") + (incomplete ? ", incomplete snapshot (nothing given back for users or shows that could not be read)" : "") + ", ");
    else setText("#last-cycle", "never");
    if (s.next_run) setTime("#next-cycle", s.next_run); else setText("#next-cycle", "not scheduled");
    if (s.running_cycle) setTime("#running-cycle", s.running_cycle.started_at, "yes, since ");
    else setText("#running-cycle", s.busy ? "starting…" : "no");
    setDot("#h-plex", s.needs_setup ? false : s.plex); setDot("#h-scheduler", s.scheduler); setDot("#h-db", true);
    var say = function (sel, text) { var n = $(sel); if (n) n.textContent = text; };
    say("#h-plex-text", s.needs_setup ? "needs setup" : s.plex === false ? "not reachable: check PLEX_URL and the token"
      : s.plex === null ? "not checked yet" : "reachable");
    say("#h-scheduler-text", s.scheduler === false ? "stopped: the log says why" : s.scheduler === null ? "none" : "running");
    [["notifications", "#h-notify"], ["trakt", "#h-trakt"]].forEach(function (pair) {
      var h = (s.integrations || {})[pair[0]], row = $(pair[1] + "-row");
      if (!row) return;
      row.hidden = !(h && h.configured);
      if (!h || !h.configured) return;
      setDot(pair[1], h.ok === undefined ? null : !!h.ok);
      setText(pair[1] + "-text", h.ok === false ? (h.last_error || h.message || "failing") : "");
    });
    storyLine(s);
    ["#run-now", "#dry-run"].forEach(function (sel) { var b = $(sel); if (b) b.disabled = !!s.busy; });
    renderOps(s.operations);
  }

  /* the status line: what is running now, else the last cycle (status, when, what it did), whatever started it */
  function cycleStory(c) {
    var sm = c.summary || {}, n = function (v) { return typeof v === "number" ? v : (v ? v.length : 0); };
    var did = [], cached = n(sm.cached), back = n(sm.restored), failed = n(sm.failed);
    var dry = c.dry_run;
    if (cached) did.push(cached + (dry ? " to cache" : " cached"));
    if (back) did.push(back + (dry ? " to give back" : " given back"));
    if (failed) did.push(failed + " failed");
    if (n(sm.skipped)) did.push(n(sm.skipped) + " skipped");
    if (sm.bytes_moved && !dry) did.push(bytes(sm.bytes_moved) + " moved");
    var what = did.length ? did.join(", ") : (c.status === "skipped" || c.status === "failed" ? "" : "nothing to do");
    var msg = c.error || (c.status === "skipped" ? sm.message : "");
    return { head: "Last cycle #" + c.id + " (" + c.trigger + (dry && c.status !== "dry-run" ? ", dry run" : "") + ") " + c.status + ", ",
      tail: (what ? ": " + what : "") + (msg ? ": " + msg : "") };
  }
  function storyLine(s) {
    var js = $("#job-status");
    if (!js) return;
    var job = s.job, last = s.last_cycle, running = s.running_cycle;
    js.textContent = "";
    if (running || (job && job.running)) {
      var since = running ? running.started_at : job.started_at;
      js.appendChild(document.createTextNode("Running: " + (running ? "cycle #" + running.id + " (" + running.trigger + ")" : job.kind) + ", started "));
      js.appendChild(window.cacherrClock ? window.cacherrClock.node(since) : document.createTextNode(since));
      js.className = "job muted";
      return;
    }
    if (!last) { js.textContent = "No cycle has run yet."; js.className = "job muted"; return; }
    var story = cycleStory(last);
    var link = el("a", { href: "history?cycle=" + last.id + "#cycle-" + last.id, id: "last-cycle-link" });
    link.appendChild(document.createTextNode(story.head));
    link.appendChild(window.cacherrClock ? window.cacherrClock.node(last.finished_at || last.started_at) : document.createTextNode(""));
    js.appendChild(link);
    js.appendChild(document.createTextNode(story.tail));
    js.className = "job " + (last.status === "failed" || last.status === "partial" ? "error" : "muted");
  }

  /* cache usage chart: held by Cacherr (line, left axis, bytes) against the budget (dashed line), bytes moved
     per cycle (bars, right axis), time along the bottom in TZ; fewer ticks and smaller type on a phone */
  function niceStep(max, ticks) {  /* a round step in the unit the labels use (KB, MB, GB: powers of 1024) */
    var unit = Math.pow(1024, Math.max(0, Math.floor(Math.log(Math.max(max, 1)) / Math.log(1024))));
    var raw = max / unit / ticks, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag * unit;
  }
  function shortTime(iso, spanMs) {
    var loc = window.cacherrClock ? window.cacherrClock.local(iso) : String(iso);  /* "2026-12-02 14:05:09 CET" */
    var day = loc.slice(5, 10), hm = loc.slice(11, 16);
    if (spanMs > 36 * 3600 * 1000) return day + " " + hm;
    return spanMs < 15 * 60 * 1000 ? loc.slice(11, 19) : hm;
  }
  function axisBytes(n) { return bytes(n).replace(/\.0 /, " "); }  /* "1.5 GB", "150 MB": short axis labels */
  function drawChart(samples, budget) {
    var canvas = $("#chart");
    if (!canvas || !canvas.getContext) return;
    var ratio = window.devicePixelRatio || 1, w = canvas.clientWidth || 600, h = canvas.clientHeight || 220;
    var phone = w < 520, font = phone ? 11 : 12;
    canvas.width = w * ratio; canvas.height = h * ratio;
    var g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, w, h);
    var style = getComputedStyle(document.body), fg = style.color;
    g.font = font + "px system-ui, sans-serif"; g.fillStyle = fg;
    if (!samples.length) { g.fillText("No data yet: the chart fills in as cycles run.", 10, h / 2); return; }
    var left = phone ? 54 : 66, right = phone ? 54 : 66, top = 24, bottom = 30;
    var pw = w - left - right, ph = h - top - bottom;
    var maxUsed = Math.max.apply(null, samples.map(function (x) { return x.by_cacherr; }).concat([budget || 0, 1]));
    var maxMoved = Math.max.apply(null, samples.map(function (x) { return x.bytes_moved; }).concat([1]));
    var ticks = phone ? 3 : 4, stepU = niceStep(maxUsed, ticks), topU = Math.ceil(maxUsed / stepU) * stepU;
    var stepM = niceStep(maxMoved, ticks), topM = Math.ceil(maxMoved / stepM) * stepM;
    var t0 = Date.parse(samples[0].ts), t1 = Date.parse(samples[samples.length - 1].ts), span = Math.max(1, t1 - t0);
    var xOf = function (x) { return samples.length === 1 ? left + pw / 2 : left + pw * (Date.parse(x.ts) - t0) / span; };
    var yU = function (v) { return top + ph - ph * v / topU; };
    /* grid and the left axis (held, bytes) */
    g.strokeStyle = "rgba(128,128,128,0.25)"; g.lineWidth = 1; g.textAlign = "right"; g.textBaseline = "middle";
    for (var v = 0; v <= topU + 1; v += stepU) {
      g.beginPath(); g.moveTo(left, yU(v)); g.lineTo(left + pw, yU(v)); g.stroke();
      g.fillText(axisBytes(v), left - 6, yU(v));
    }
    /* the right axis (moved per cycle) */
    g.textAlign = "left"; g.globalAlpha = 0.8;
    for (var m = 0; m <= topM + 1; m += stepM) g.fillText(axisBytes(m), left + pw + 4, top + ph - ph * m / topM);
    g.globalAlpha = 1;
    /* bars: bytes moved per cycle */
    var bw = Math.max(2, Math.min(14, pw / Math.max(1, samples.length) * 0.6));
    g.fillStyle = "rgba(90,150,230,0.55)";
    samples.forEach(function (x) { var bh = ph * x.bytes_moved / topM; g.fillRect(xOf(x) - bw / 2, top + ph - bh, bw, bh); });
    /* the budget line */
    if (budget) {
      g.strokeStyle = "#f85149"; g.setLineDash([6, 4]); g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(left, yU(budget)); g.lineTo(left + pw, yU(budget)); g.stroke(); g.setLineDash([]);
      g.fillStyle = "#f85149"; g.textAlign = "left"; g.textBaseline = "bottom";
      g.fillText("budget " + bytes(budget), left + 4, yU(budget) - 2);
    }
    /* the line: held by Cacherr */
    g.strokeStyle = "#e5a00d"; g.lineWidth = 2; g.beginPath();
    samples.forEach(function (x, i) { if (i === 0) g.moveTo(xOf(x), yU(x.by_cacherr)); else g.lineTo(xOf(x), yU(x.by_cacherr)); });
    g.stroke();
    g.fillStyle = "#e5a00d";
    if (samples.length <= 60) samples.forEach(function (x) { g.beginPath(); g.arc(xOf(x), yU(x.by_cacherr), 2.5, 0, 2 * Math.PI); g.fill(); });
    /* axes, units, time labels */
    g.strokeStyle = fg; g.globalAlpha = 0.6; g.beginPath();
    g.moveTo(left, top); g.lineTo(left, top + ph); g.lineTo(left + pw, top + ph); g.lineTo(left + pw, top); g.stroke();
    g.globalAlpha = 1; g.fillStyle = fg; g.textBaseline = "alphabetic";
    g.textAlign = "left"; g.fillText("held", 2, 12);
    g.textAlign = "right"; g.fillText("moved/cycle", w - 2, 12);
    g.textAlign = "center"; g.textBaseline = "top";
    var labels = samples.length === 1 ? 1 : (phone ? 3 : 5);
    for (var k = 0; k < labels; k++) {
      var at = labels === 1 ? t0 : t0 + span * k / (labels - 1);
      var x = labels === 1 ? left + pw / 2 : left + pw * k / (labels - 1);
      g.textAlign = k === 0 && labels > 1 ? "left" : (k === labels - 1 && labels > 1 ? "right" : "center");
      g.fillText(shortTime(new Date(at).toISOString(), span), x, top + ph + 6);
    }
    g.textAlign = "left"; g.textBaseline = "alphabetic";
    canvas.setAttribute("data-drawn", String(samples.length));
    canvas.setAttribute("aria-label", "Chart: cache held by Cacherr " + bytes(samples[samples.length - 1].by_cacherr) +
      (budget ? " of a " + bytes(budget) + " budget" : "") + ", bytes moved per cycle, " + samples.length + " samples, times in " +
      (window.cacherrClock ? window.cacherrClock.tz : "UTC"));
  }

  function renderHitRate(r) {
    var box = $("#hit-rate");
    if (!box) return;
    box.textContent = "";
    if (!r.plays) { box.appendChild(el("p", { cls: "muted", text: "No play started in the last " + r.days + " days." })); return; }
    box.appendChild(el("p", { cls: "big", id: "hit-rate-total", text: r.from_cache + " of " + r.plays + " plays (" + Math.round(r.percent) + "%)" }));
    box.appendChild(el("p", { cls: "muted small-text", text: "served from the cache, last " + r.days + " days" }));
    box.appendChild(el("ul", { cls: "hit-users", id: "hit-rate-users" }, r.users.map(function (u) {
      return el("li", {}, [el("span", { text: u.user }), el("span", { cls: "muted", text: u.from_cache + " of " + u.plays + " (" + Math.round(u.percent) + "%)" })]);
    })));
  }

  function startJob(path, body, label) {
    return api("POST", path, body).then(function (r) {
      if (r.status === 202) toast(label + " started", "ok");
      else toast(r.data.error || (label + " failed (" + r.status + ")"), "error");
      return r;
    });
  }

  function overview() {
    var budget = 0, samples = [];
    var chart = function () { api("GET", "/usage").then(function (r) { if (r.ok) { samples = r.data.samples; drawChart(samples, budget); } }); };
    var hits = function () { api("GET", "/stats/hit-rate?days=7").then(function (r) { if (r.ok) renderHitRate(r.data); }); };
    var poll = function () { api("GET", "/status").then(function (r) {
      if (!r.ok) return;
      renderStatus(r.data);
      var b = r.data.cache.budget_bytes || 0;
      if (b !== budget) { budget = b; drawChart(samples, budget); }
      if (r.data.last_cycle && r.data.last_cycle.id !== lastId) { if (lastId !== null) { chart(); hits(); } lastId = r.data.last_cycle.id; }
    }); };
    var lastId = null;
    $("#run-now").addEventListener("click", function () { startJob("/cycles", { dry_run: false }, "Cycle").then(poll); });
    $("#dry-run").addEventListener("click", function () { window.location.href = "plan?preview=1"; });
    poll(); chart(); hits();
    setInterval(poll, 1000);
    setInterval(chart, 30000);
    setInterval(hits, 60000);
    window.addEventListener("resize", function () { drawChart(samples, budget); });
  }

  /* ---- plan ------------------------------------------------------------------------------ */
  function planTable(rows, cols) {
    var t = el("table", { cls: "table responsive" }, [el("thead", {}, [el("tr", {}, cols.map(function (c) { return el("th", { text: c[0] }); }))])]);
    var tb = el("tbody");
    rows.forEach(function (r) { tb.appendChild(el("tr", {}, cols.map(function (c) { return el("td", { "data-label": c[0], text: c[1](r) }); }))); });
    t.appendChild(tb);
    return t;
  }

  function renderPlan(plan) {
    var body = $("#plan-body");
    body.textContent = "";
    if (!plan) return;
    var toCache = plan.actions.filter(function (a) { return a.kind === "cache"; });
    var toRestore = plan.actions.filter(function (a) { return a.kind === "restore"; });
    body.appendChild(el("section", { cls: "grid", id: "plan-summary" }, [
      el("div", { cls: "card" }, [el("h2", { text: "To cache" }), el("p", { cls: "big", text: toCache.length + " · " + bytes(plan.bytes_to_cache) })]),
      el("div", { cls: "card" }, [el("h2", { text: "To restore" }), el("p", { cls: "big", text: toRestore.length + " · " + bytes(plan.bytes_to_restore) })]),
      el("div", { cls: "card" }, [el("h2", { text: "Usage" }), el("p", { cls: "big", text: bytes(plan.usage_before) + " → " + bytes(plan.usage_after) }),
        el("p", { cls: "muted", text: "budget " + (plan.budget_bytes ? bytes(plan.budget_bytes) : "no limit") })])]));
    var cols = [["Title", function (a) { return a.title; }], ["Why", function (a) { return a.why || a.reason; }],
      ["Users", function (a) { return a.users.join(", ") || "–"; }], ["Size", function (a) { return bytes(a.size); }]];
    [["Will cache", toCache, "plan-cache"], ["Will restore", toRestore, "plan-restore"]].forEach(function (part) {
      var sec = el("section", { cls: "card", id: part[2] }, [el("h2", { text: part[0] + " (" + part[1].length + ")" })]);
      sec.appendChild(part[1].length ? planTable(part[1], cols) : el("p", { cls: "muted", text: "Nothing." }));
      body.appendChild(sec);
    });
    if (plan.skips.length) {
      var sk = el("section", { cls: "card", id: "plan-skips" }, [el("h2", { text: "Skipped (" + plan.skips.length + ")" })]);
      sk.appendChild(planTable(plan.skips, [["Title", function (s) { return s.title || s.path; }], ["Why", function (s) { return s.why; }], ["Size", function (s) { return bytes(s.size); }]]));
      body.appendChild(sk);
    }
    var trending = plan.notes.filter(function (n) { return /not in (your|the) library|trending/i.test(n); });
    var other = plan.notes.filter(function (n) { return trending.indexOf(n) < 0; });
    if (trending.length) body.appendChild(el("section", { cls: "card", id: "plan-trending" }, [el("h2", { text: "Trending, not in your library" }),
      el("ul", {}, trending.map(function (n) { return el("li", { text: n }); }))]));
    if (other.length) body.appendChild(el("section", { cls: "card", id: "plan-notes" }, [el("h2", { text: "Notes" }),
      el("ul", {}, other.map(function (n) { return el("li", { text: n }); }))]));
  }

  function planPage() {
    var data = $("#plan-data");
    try { renderPlan(JSON.parse(data.textContent)); } catch (e) { /* no plan yet */ }
    var btn = $("#preview");
    var preview = function () {
      btn.disabled = true; setText("#plan-caption", "Working out what a cycle would do now…");
      api("POST", "/plan/preview").then(function (r) {
        btn.disabled = false;
        if (!r.ok) { setText("#plan-caption", r.data.error || "Dry run failed"); toast(r.data.error || "Dry run failed", "error"); return; }
        setText("#plan-caption", "");
        var cap = $("#plan-caption");
        cap.appendChild(document.createTextNode("Dry run made "));
        cap.appendChild(window.cacherrClock ? window.cacherrClock.node(r.data.created_at) : document.createTextNode(r.data.created_at));
        cap.appendChild(document.createTextNode(": nothing was touched."));
        renderPlan(r.data);
      });
    };
    btn.addEventListener("click", preview);
    if (/[?&]preview=1/.test(window.location.search) && !btn.disabled) preview();
  }

  /* ---- cached media ---------------------------------------------------------------------- */
  function mediaPage() {
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("button[data-action]") : null;
      if (!b) return;
      var id = b.getAttribute("data-id"), action = b.getAttribute("data-action");
      b.disabled = true;
      var done = function (r) {
        if (r.ok) { toast(r.data.message || (r.data.job ? r.data.job.kind + " started" : "done"), "ok"); setTimeout(function () { window.location.reload(); }, 800); }
        else { b.disabled = false; toast(r.data.error || "failed", "error"); }
      };
      if (action === "pin") api("POST", "/media/" + id + "/pin", { pinned: b.getAttribute("data-pinned") === "true" }).then(done);
      else if (action === "let-in") api("DELETE", "/exclusions/" + id).then(done);
      else api("POST", "/media/" + id + "/restore", action === "restore-keep-off" ? { keep_off: true } : undefined).then(done);
    });
    var all = $("#restore-all");
    if (all) all.addEventListener("click", function () {
      if (!window.confirm("Give every cached file back to the array?")) return;
      api("POST", "/media/restore-all").then(function (r) { toast(r.ok ? "Restoring everything in the background" : (r.data.error || "failed"), r.ok ? "ok" : "error"); });
    });
  }

  /* ---- settings: static/settings.js ----------------------------------------------------- */

  /* ---- logs ------------------------------------------------------------------------------ */
  function logsPage() {
    var after = 0, pre = $("#log"), level = $("#log-level"), follow = $("#log-follow");
    var rank = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 };
    var poll = function () {
      api("GET", "/logs?after=" + after + "&limit=500").then(function (r) {
        if (!r.ok) return;
        var min = level.value ? rank[level.value] : -1;
        r.data.lines.forEach(function (l) {
          if ((rank[l.level] || 0) < min) return;
          var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)) ([\s\S]*)$/.exec(l.line);
          var span = el("span", { cls: "lvl-" + l.level }, m && window.cacherrClock ? [window.cacherrClock.node(m[1]), " " + m[2] + "\n"] : [l.line + "\n"]);
          pre.appendChild(span);
        });
        after = r.data.last_seq;
        while (pre.childNodes.length > 3000) pre.removeChild(pre.firstChild);
        if (follow.checked) pre.scrollTop = pre.scrollHeight;
      });
    };
    level.addEventListener("change", function () { pre.textContent = ""; after = 0; poll(); });
    poll(); setInterval(poll, 2000);
  }

  var pages = { overview: overview, plan: planPage, media: mediaPage, logs: logsPage };
  document.addEventListener("DOMContentLoaded", function () {
    var fn = pages[document.body.getAttribute("data-page")];
    if (fn) fn();
  });
  window.cacherr = { api: api, bytes: bytes, toast: toast };
})();
