/* Cacherr setup: sign in with Plex, server, libraries, users, dry run, go live. Plain JS, no framework. */
(function () {
  "use strict";
  var meta = function (n) { var m = document.querySelector('meta[name="' + n + '"]'); return m ? m.content : ""; };
  var API = (meta("api-base") || "/api/v1").replace(/\/api\/v1$/, "") + "/setup/api";
  var $ = function (s) { return document.querySelector(s); };

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k]; else if (k === "cls") n.className = attrs[k];
      else if (k === "checked" || k === "disabled") n[k] = !!attrs[k]; else n.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c != null) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }

  function call(method, path, body) {
    var opts = { method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": meta("csrf-token") } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) { var e = new Error(d.error || ("HTTP " + r.status)); e.data = d; throw e; }
        return d;
      });
    });
  }

  function say(sel, text, bad) { var n = $(sel); n.textContent = text; n.className = bad ? "error-text" : "muted"; n.hidden = !text; }
  function show(id) { var n = $(id); n.hidden = false; return n; }
  function problem(e) { var d = e.data || {}; return [e.message].concat(d.details || []).join(": "); }

  // --- 1. sign in -------------------------------------------------------------------------------
  var polling = null;
  function signedIn() {
    if (polling) { clearInterval(polling); polling = null; }
    say("#signin-status", "Signed in to Plex.");
    $("#plex-signin").disabled = true;
    loadServers();
  }
  function startSignIn() {
    $("#plex-signin").disabled = true;
    call("POST", "/pin").then(function (pin) {
      var link = $("#plex-auth-link"); link.href = pin.auth_url; link.hidden = false;
      try { window.open(pin.auth_url, "plex-auth", "width=600,height=700"); } catch (e) { /* popup blocked: the link stays */ }
      say("#signin-status", "Waiting for you to approve the sign-in on plex.tv…");
      var deadline = Date.parse(pin.expires_at) || (Date.now() + 600000);
      polling = setInterval(function () {
        if (Date.now() > deadline) { clearInterval(polling); polling = null; $("#plex-signin").disabled = false;
          say("#signin-status", "The sign-in expired: press the button again.", true); return; }
        call("POST", "/pin/check").then(function (r) { if (r.signed_in) signedIn(); })
          .catch(function (e) { clearInterval(polling); polling = null; $("#plex-signin").disabled = false; say("#signin-status", problem(e), true); });
      }, 2000);
    }).catch(function (e) { $("#plex-signin").disabled = false; say("#signin-status", problem(e), true); });
  }
  function pasteToken() {
    call("POST", "/token", { token: $("#token").value }).then(function () { $("#token").value = ""; signedIn(); })
      .catch(function (e) { say("#signin-status", problem(e), true); });
  }

  // --- 2. server --------------------------------------------------------------------------------
  function loadServers() {
    var box = show("#step-server").querySelector("#servers");
    call("GET", "/servers").then(function (list) {
      box.textContent = "";
      if (!list.length) { box.appendChild(el("p", { cls: "error-text", text: "This Plex account has no server." })); return; }
      list.forEach(function (s) {
        var ul = el("ul", { cls: "setup-conns" });
        s.connections.forEach(function (c) {
          var id = "conn-" + ul.childElementCount + "-" + s.machine_id;
          var input = el("input", { type: "radio", name: "conn", value: c.uri, id: id, disabled: !c.ok, checked: c.uri === s.best });
          ul.appendChild(el("li", { cls: c.ok ? "conn ok" : "conn bad" }, [input, " ", el("label", { "for": id, text: c.uri }), " ",
            el("span", { cls: "badge", text: c.local ? "LAN" : (c.relay ? "relay" : "remote") }), " ",
            el("span", { cls: "muted", text: c.ok ? ("works, " + c.ms + " ms") : ("does not answer: " + c.problem) })]));
        });
        box.appendChild(el("div", { cls: "setup-server" }, [el("h3", { text: s.name + (s.owned ? "" : " (shared with you)") }), ul]));
      });
      $("#server-save").disabled = !document.querySelector("input[name=conn]:checked");
      box.addEventListener("change", function () { $("#server-save").disabled = false; });
    }).catch(function (e) { box.textContent = ""; box.appendChild(el("p", { cls: "error-text", text: problem(e) })); });
  }
  function saveServer() {
    var pick = document.querySelector("input[name=conn]:checked");
    if (!pick) return;
    call("POST", "/server", { uri: pick.value }).then(function () { show("#step-libraries"); proposeLibraries(); })
      .catch(function (e) { say("#libraries-error", problem(e), true); });
  }

  // --- 3. libraries -----------------------------------------------------------------------------
  var asked = 0;
  function proposeLibraries() {
    var mine = ++asked;  // a slower, older answer must not overwrite a newer one
    var q = "?array_root=" + encodeURIComponent($("#array-root").value) + "&cache_root=" + encodeURIComponent($("#cache-root").value);
    var box = $("#libraries");
    box.textContent = "Asking Plex for its libraries…";
    call("GET", "/libraries" + q).then(function (d) {
      if (mine !== asked) return;
      $("#array-root").value = d.array_root; $("#cache-root").value = d.cache_root;
      var body = el("tbody");
      d.libraries.forEach(function (lib) {
        lib.mappings.forEach(function (m) {
          var row = el("tr", { "data-name": m.name, "data-plex": m.plex_path, "data-sample": m.sample_plex || "" }, [
            el("td", {}, [el("input", { type: "checkbox", cls: "lib-use", checked: m.ok, "aria-label": "Cache " + lib.title })]),
            el("td", {}, [el("strong", { text: lib.title }), el("br"), el("code", { text: m.plex_path })]),
            el("td", {}, [el("input", { cls: "lib-real", value: m.real_path, size: 30, "aria-label": "Array folder for " + lib.title })]),
            el("td", {}, [el("input", { cls: "lib-cache", value: m.cache_path, size: 30, "aria-label": "Cache folder for " + lib.title })]),
            el("td", { cls: m.ok ? "lib-check ok" : "lib-check bad", text: m.ok ? ("✓ found " + (m.sample_real || "the folder")) : m.problems.join("; ") })]);
          body.appendChild(row);
        });
      });
      box.textContent = "";
      box.appendChild(el("table", { id: "libraries-table" }, [el("thead", {}, [el("tr", {}, ["Cache", "Library (as Plex sees it)", "Array folder", "Cache folder", "Check"].map(function (h) { return el("th", { text: h }); }))]), body]));
      $("#libraries-save").disabled = false;
    }).catch(function (e) { box.textContent = ""; say("#libraries-error", problem(e), true); });
  }
  function saveLibraries() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#libraries-table tbody tr")).filter(function (r) { return r.querySelector(".lib-use").checked; });
    var mappings = rows.map(function (r) {
      return { name: r.dataset.name, plex_path: r.dataset.plex, sample_plex: r.dataset.sample,
        real_path: r.querySelector(".lib-real").value, cache_path: r.querySelector(".lib-cache").value };
    });
    say("#libraries-error", "");
    call("POST", "/libraries", { mappings: mappings }).then(function () { show("#step-users"); loadUsers(); })
      .catch(function (e) { say("#libraries-error", problem(e), true); });
  }

  // --- 4. users ---------------------------------------------------------------------------------
  function loadUsers() {
    call("GET", "/users").then(function (list) {
      var body = el("tbody");
      list.forEach(function (u) {
        body.appendChild(el("tr", { "data-name": u.name }, [el("td", { text: u.name }), el("td", { text: u.kind }),
          el("td", {}, [el("label", {}, [el("input", { type: "checkbox", cls: "u-deck", checked: u.on_deck }), " On Deck"])]),
          el("td", {}, [el("label", {}, [el("input", { type: "checkbox", cls: "u-watch", checked: u.watchlist }), " Watchlist"])])]));
      });
      var box = $("#users"); box.textContent = "";
      box.appendChild(el("table", { id: "users-table" }, [el("thead", {}, [el("tr", {}, ["User", "Kind", "", ""].map(function (h) { return el("th", { text: h }); }))]), body]));
    });
  }
  function saveUsers() {
    var users = Array.prototype.slice.call(document.querySelectorAll("#users-table tbody tr")).map(function (r) {
      return { name: r.dataset.name, on_deck: r.querySelector(".u-deck").checked, watchlist: r.querySelector(".u-watch").checked };
    });
    call("POST", "/users", { users: users }).then(function () { show("#step-dry"); });
  }

  // --- 5. dry run, go live ------------------------------------------------------------------------
  function dryRun() {
    var box = $("#dry-result");
    box.textContent = "Planning (nothing is touched)…";
    $("#setup-dry-run").disabled = true;
    call("POST", "/dry-run").then(function (d) {
      var p = d.plan, body = el("tbody");
      p.actions.forEach(function (a) {
        body.appendChild(el("tr", {}, [el("td", { text: a.kind }), el("td", { text: a.title }), el("td", { text: a.why || a.reason })]));
      });
      box.textContent = "";
      box.appendChild(el("p", { id: "dry-summary", text: "The first cycle would make " + p.actions.length + " change(s); nothing was touched." }));
      box.appendChild(el("table", { id: "dry-table" }, [el("thead", {}, [el("tr", {}, ["Action", "Item", "Why"].map(function (h) { return el("th", { text: h }); }))]), body]));
      show("#go-live");
    }).catch(function (e) { box.textContent = problem(e); })
      .then(function () { $("#setup-dry-run").disabled = false; });
  }
  function goLive() {
    call("POST", "/live").then(function () {
      $("#live-status").textContent = "Cacherr is live: the next cycle caches for real. ";
      $("#live-status").appendChild(el("a", { href: "./", id: "to-overview", text: "Go to the overview" }));
      $("#go-live").disabled = true;
    }).catch(function (e) { $("#live-status").textContent = problem(e); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("#plex-signin").addEventListener("click", startSignIn);
    $("#token-save").addEventListener("click", pasteToken);
    $("#server-save").addEventListener("click", saveServer);
    $("#propose").addEventListener("click", proposeLibraries);
    $("#libraries-save").addEventListener("click", saveLibraries);
    $("#users-save").addEventListener("click", saveUsers);
    $("#setup-dry-run").addEventListener("click", dryRun);
    $("#go-live").addEventListener("click", goLive);
    call("GET", "").then(function (s) {
      $("#array-root").value = s.array_root; $("#cache-root").value = s.cache_root;
      if (s.signed_in) signedIn();
    });
  });
}());
