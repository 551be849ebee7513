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
  function when(iso) {
    if (!iso) return "–";
    var d = new Date(iso), s = (Date.now() - d.getTime()) / 1000, abs = Math.abs(s), txt;
    if (abs < 60) txt = Math.round(abs) + " s";
    else if (abs < 3600) txt = Math.round(abs / 60) + " min";
    else if (abs < 86400) txt = (abs / 3600).toFixed(1) + " h";
    else txt = (abs / 86400).toFixed(1) + " days";
    return (s >= 0 ? txt + " ago" : "in " + txt) + " (" + d.toLocaleString() + ")";
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
    setText("#last-cycle", last ? last.status + (last.dry_run ? " (dry run)" : "") + (incomplete ? ", incomplete snapshot (nothing given back for users or shows that could not be read)" : "") + ", " + when(last.finished_at || last.started_at) : "never");
    setText("#next-cycle", s.next_run ? when(s.next_run) : "not scheduled");
    setText("#running-cycle", s.running_cycle ? "yes, since " + when(s.running_cycle.started_at) : (s.busy ? "starting…" : "no"));
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
    var job = s.job, js = $("#job-status");
    if (js) {
      if (!job) js.textContent = "";
      else if (job.running) js.textContent = "Running: " + job.kind + " (started " + when(job.started_at) + ")";
      else js.textContent = "Last " + job.kind + (job.ok ? "" : " failed") + ": " + (job.message || (job.ok ? "done" : ""));
      js.className = "job " + (job && !job.running && job.ok === false ? "error" : "muted");
    }
    ["#run-now", "#dry-run"].forEach(function (sel) { var b = $(sel); if (b) b.disabled = !!s.busy; });
    renderOps(s.operations);
  }

  function drawChart(samples) {
    var canvas = $("#chart");
    if (!canvas || !canvas.getContext) return;
    var ratio = window.devicePixelRatio || 1, w = canvas.clientWidth || 600, h = 180;
    canvas.width = w * ratio; canvas.height = h * ratio;
    var g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, w, h);
    var style = getComputedStyle(document.body);
    g.fillStyle = style.color; g.font = "12px system-ui, sans-serif";
    if (!samples.length) { g.fillText("No data yet: the chart fills in as cycles run.", 10, h / 2); return; }
    var maxUsed = Math.max.apply(null, samples.map(function (x) { return x.by_cacherr; }).concat([1]));
    var maxMoved = Math.max.apply(null, samples.map(function (x) { return x.bytes_moved; }).concat([1]));
    var pad = 28, step = (w - 2 * pad) / Math.max(1, samples.length - 1), bw = Math.max(2, Math.min(16, step * 0.6));
    g.fillStyle = "rgba(90,150,230,0.55)";
    samples.forEach(function (x, i) {
      var bh = (h - 2 * pad) * x.bytes_moved / maxMoved;
      g.fillRect(pad + i * step - bw / 2, h - pad - bh, bw, bh);
    });
    var yOf = function (x) { return h - pad - (h - 2 * pad) * x.by_cacherr / maxUsed; };
    g.strokeStyle = "#e5a00d"; g.lineWidth = 2; g.beginPath();
    samples.forEach(function (x, i) { if (i === 0) g.moveTo(pad, yOf(x)); else g.lineTo(pad + i * step, yOf(x)); });
    g.stroke();
    g.fillStyle = "#e5a00d";
    samples.forEach(function (x, i) { g.beginPath(); g.arc(pad + i * step, yOf(x), 3, 0, 2 * Math.PI); g.fill(); });
    g.fillStyle = style.color;
    g.fillText(bytes(maxUsed) + " held (max)", pad, 14);
    g.textAlign = "right";
    g.fillText(bytes(maxMoved) + " moved in one cycle (max)", w - pad, 14);
    var stamp = function (x) { var d = new Date(x.ts); return d.toLocaleDateString() + " " + d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); };
    g.fillStyle = style.color; g.globalAlpha = 0.7;
    g.fillText(stamp(samples[samples.length - 1]), w - pad, h - 6);
    if (samples.length > 1) { g.textAlign = "left"; g.fillText(stamp(samples[0]), pad, h - 6); }
    g.globalAlpha = 1; g.textAlign = "left";
  }

  function startJob(path, body, label) {
    return api("POST", path, body).then(function (r) {
      if (r.status === 202) toast(label + " started", "ok");
      else toast(r.data.error || (label + " failed (" + r.status + ")"), "error");
      return r;
    });
  }

  function overview() {
    var poll = function () { api("GET", "/status").then(function (r) { if (r.ok) renderStatus(r.data); }); };
    var chart = function () { api("GET", "/usage").then(function (r) { if (r.ok) drawChart(r.data.samples); }); };
    $("#run-now").addEventListener("click", function () { startJob("/cycles", { dry_run: false }, "Cycle").then(poll); });
    $("#dry-run").addEventListener("click", function () { window.location.href = "plan?preview=1"; });
    poll(); chart();
    setInterval(poll, 1000);
    setInterval(chart, 30000);
    window.addEventListener("resize", chart);
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
        setText("#plan-caption", "Dry run made " + new Date(r.data.created_at).toLocaleString() + ": nothing was touched.");
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
      else api("POST", "/media/" + id + "/restore").then(done);
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
          pre.appendChild(el("span", { cls: "lvl-" + l.level, text: l.line + "\n" }));
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
