/* Cacherr settings page: one form, one save (only the changed fields), errors next to their fields,
   and the per-library rules table (LIBRARY_RULES). Uses window.cacherr from cacherr.js. */
(function () {
  "use strict";

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var C = function () { return window.cacherr; };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else if (k === "checked" || k === "disabled") node[k] = !!attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  /* ---- plain fields ------------------------------------------------------------------------ */
  function fieldValue(input) {
    var kind = input.getAttribute("data-kind");
    if (kind === "bool") return input.checked;
    if (kind === "list") return input.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean);
    if (kind === "json") return input.value.trim() ? input.value.trim() : "[]";
    return input.value;
  }
  function changed(input) {
    var kind = input.getAttribute("data-kind"), initial = input.getAttribute("data-initial") || "";
    if (input.disabled || !input.name) return false;
    if (kind === "bool") return String(input.checked) !== initial;
    if (kind === "secret") return input.value !== "";
    return input.value !== initial;
  }
  function fieldInputs() { return $$("#settings-form [data-kind]"); }

  /* ---- library rules ----------------------------------------------------------------------- */
  var rules = { ready: false, initial: {}, defaults: {} };

  function canonical(obj) {
    var out = {};
    Object.keys(obj || {}).sort().forEach(function (title) {
      var r = obj[title] || {}, clean = {};
      if (r.enabled === false) clean.enabled = false;
      if (r.episodes !== undefined && r.episodes !== null && r.episodes !== "") clean.episodes = r.episodes;
      if (r.watchlist === false) clean.watchlist = false;
      if (r.retention_hours !== undefined && r.retention_hours !== null && r.retention_hours !== "") clean.retention_hours = r.retention_hours;
      /* fields the table does not show (set in the JSON) are kept as they are */
      if (r.minutes !== undefined && r.minutes !== null && r.minutes !== "") clean.minutes = r.minutes;
      if (r.version !== undefined && r.version !== null && r.version !== "") clean.version = r.version;
      if (r.skip_4k === true) clean.skip_4k = true;
      if (Object.keys(clean).length) out[title] = clean;
    });
    return out;
  }
  function number(text, integer) {
    var t = text.trim();
    if (t === "") return null;
    if (integer ? /^\d+$/.test(t) : /^\d+(\.\d+)?$/.test(t)) return Number(t);
    return t; /* sent as written: the server names the problem */
  }
  function rulesValue() {
    var out = {};
    $$("#library-rules-table tbody tr").forEach(function (tr) {
      var title = tr.getAttribute("data-title"), keep = rules.initial[title] || {};
      out[title] = {
        enabled: $(".r-enabled", tr).checked,
        episodes: number($(".r-episodes", tr).value, true),
        watchlist: $(".r-watchlist", tr).checked,
        retention_hours: number($(".r-retention", tr).value, false),
        minutes: keep.minutes, version: keep.version, skip_4k: keep.skip_4k
      };
    });
    return canonical(out);
  }
  function rulesChanged() {
    return rules.ready && JSON.stringify(rulesValue()) !== JSON.stringify(rules.initial);
  }
  function ruleRow(lib, locked) {
    var r = lib.rule || {}, d = rules.defaults, id = "lr-" + Math.random().toString(36).slice(2, 8);
    var title = el("td", { "data-label": "Library" }, [el("strong", { text: lib.title }),
      lib.on_server ? null : el("span", { cls: "muted small-text", text: " (not reported by Plex now)" })]);
    var input = function (cls, value, placeholder, label) {
      return el("input", { type: "text", cls: cls, inputmode: cls === "r-episodes" ? "numeric" : "decimal",
        value: value === null || value === undefined ? "" : String(value), placeholder: placeholder,
        "aria-label": label + " for " + lib.title, disabled: locked, id: id + cls });
    };
    var check = function (cls, on, label) {
      return el("input", { type: "checkbox", cls: cls, checked: on, disabled: locked, "aria-label": label + " for " + lib.title });
    };
    return el("tr", { "data-title": lib.title }, [title,
      el("td", { "data-label": "Cached" }, [check("r-enabled", r.enabled !== false, "Cached")]),
      el("td", { "data-label": "Episodes ahead" }, [input("r-episodes", r.episodes, String(d.episodes) + " (global)", "Episodes ahead")]),
      el("td", { "data-label": "Watchlist" }, [check("r-watchlist", r.watchlist !== false, "Watchlist")]),
      el("td", { "data-label": "Retention (hours)" }, [input("r-retention", r.retention_hours, String(d.retention_hours) + " (global)", "Retention hours")])]);
  }
  function loadRules() {
    var box = $("#library-rules");
    if (!box) return;
    try { rules.initial = canonical(JSON.parse(box.getAttribute("data-initial") || "{}")); } catch (e) { rules.initial = {}; }
    var locked = box.getAttribute("data-locked") === "true";
    C().api("GET", "/settings/libraries").then(function (r) {
      var status = $("#library-rules-status");
      if (!r.ok) { status.textContent = r.data.error || "The libraries could not be read."; return; }
      rules.defaults = r.data.defaults;
      var body = $("#library-rules-table tbody");
      body.textContent = "";
      r.data.libraries.forEach(function (lib) { body.appendChild(ruleRow(lib, locked || r.data.locked)); });
      $("#library-rules-table").hidden = !r.data.libraries.length;
      status.textContent = (r.data.error ? r.data.error + ". " : "") + (r.data.libraries.length
        ? "Blank fields follow the global setting (shown in grey). Watchlist off: this library's watchlist items are not cached; Cached off: nothing of it is cached but what is pinned."
        : "No library to show yet.");
      rules.ready = true;
      updateStatus();
    });
  }

  /* ---- one save ---------------------------------------------------------------------------- */
  function collect() {
    var changes = {};
    fieldInputs().forEach(function (i) { if (changed(i)) changes[i.name] = fieldValue(i); });
    if (rulesChanged()) changes.LIBRARY_RULES = rulesValue();
    return changes;
  }
  function updateStatus() {
    var n = Object.keys(collect()).length, st = $("#save-status");
    fieldInputs().forEach(function (i) { var f = i.closest(".field"); if (f) f.classList.toggle("changed", changed(i)); });
    var lr = $("[data-name=LIBRARY_RULES]");
    if (lr) lr.classList.toggle("changed", rulesChanged());
    st.textContent = n ? n + " unsaved change" + (n > 1 ? "s" : "") : "No unsaved changes.";
  }
  function clearErrors() {
    $$(".field-error").forEach(function (e) { e.hidden = true; e.textContent = ""; });
    $$(".field.invalid, #library-rules-table .invalid").forEach(function (f) { f.classList.remove("invalid"); });
  }
  function markRule(message) {
    var m = /^(.+)\.(enabled|episodes|watchlist|retention_hours): /.exec(message);
    if (!m) return;
    var cls = { enabled: ".r-enabled", episodes: ".r-episodes", watchlist: ".r-watchlist", retention_hours: ".r-retention" }[m[2]];
    $$("#library-rules-table tbody tr").forEach(function (tr) {
      if (tr.getAttribute("data-title") === m[1]) $(cls, tr).classList.add("invalid");
    });
  }
  function showErrors(fields) {
    var first = null, other = [];
    Object.keys(fields).forEach(function (name) {
      var e = document.getElementById("err-" + name);
      if (!e) { other.push(name + ": " + fields[name]); return; }
      e.textContent = fields[name]; e.hidden = false;
      e.closest(".field").classList.add("invalid");
      if (name === "LIBRARY_RULES") markRule(fields[name]);
      if (!first) first = e.closest(".field");
    });
    if (first) first.scrollIntoView({ block: "center" });
    return other;
  }
  function saved(changes, data) {
    fieldInputs().forEach(function (i) {
      if (!(i.name in changes)) return;
      if (i.getAttribute("data-kind") === "bool") i.setAttribute("data-initial", String(i.checked));
      else if (i.getAttribute("data-kind") === "secret") { i.value = ""; i.placeholder = "set – type to replace"; }
      else i.setAttribute("data-initial", i.value);
    });
    if ("LIBRARY_RULES" in changes) rules.initial = changes.LIBRARY_RULES;
    var msg = data.saved.length ? "Saved and applied: " + data.saved.join(", ") : "Saved (no value changed).";
    if (data.restart_needed.length) msg += ". Restart needed for " + data.restart_needed.join(", ");
    updateStatus();
    $("#save-status").textContent = msg;
    C().toast(msg, "ok");
  }
  function save(ev) {
    ev.preventDefault();
    clearErrors();
    var changes = collect(), btn = $("#save-settings");
    if (!Object.keys(changes).length) { $("#save-status").textContent = "Nothing changed."; return; }
    btn.disabled = true;
    C().api("PATCH", "/settings", changes).then(function (r) {
      btn.disabled = false;
      if (r.ok) { saved(changes, r.data); return; }
      var other = showErrors(r.data.fields || {});
      var msg = (r.data.error || "Not saved") + (other.length ? ": " + other.join("; ") : "");
      $("#save-status").textContent = msg;
      C().toast(msg + (other.length ? "" : " (see the fields marked in red)"), "error");
    });
  }

  function start() {
    if (document.body.getAttribute("data-page") !== "settings" || !window.cacherr) return;
    var form = $("#settings-form");
    form.addEventListener("submit", save);
    form.addEventListener("input", updateStatus);
    form.addEventListener("change", updateStatus);
    loadRules();
    updateStatus();
    var tn = $("#test-notify");
    if (tn) tn.addEventListener("click", function () {
      C().api("POST", "/notifications/test").then(function (r) {
        C().toast(r.ok ? "Notification " + r.data.message : (r.data.error || "failed"), r.ok && r.data.delivered ? "ok" : "error");
      });
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
