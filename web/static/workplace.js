// Operator workplace: everything comes from /workplace/state, fetched on load, after each
// reconnect and when the engine pushes an event about this operator (no polling), so a reload
// or a dropped link restores the current call and its wrap-up from the server.
(function () {
  var T = window.WP_TEXT;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var S = null, skew = 0, callId = null, started = false;

  function $(id) { return document.getElementById(id); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body) }).then(function (r) { return r.json(); });
  }
  function now() { return Date.now() / 1000 + skew; }
  function clock(s) { s = Math.max(0, Math.round(s)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }
  function showErrors(form, res) {
    form.querySelectorAll("[data-error]").forEach(function (e) { e.textContent = ""; });
    if (res.ok) return;
    var shown = false;
    Object.keys(res.fields || {}).forEach(function (k) {
      var e = form.querySelector('[data-error="' + k + '"]'); if (e) { e.textContent = res.fields[k]; shown = true; }
    });
    var all = form.querySelector('[data-error="__all__"]');
    if (!shown) { if (all) all.textContent = res.error; else $("wp-error").textContent = res.error; }
  }

  function load() {
    return fetch("/workplace/state").then(function (r) { return r.json(); }).then(function (st) {
      if (!st.ok) { $("wp-error").textContent = st.error; return; }
      S = st; skew = st.now - Date.now() / 1000; render();
    });
  }

  function render() {
    $("signin").hidden = !!S.session; $("work").hidden = !S.session;
    if (!S.session) return;
    var eng = S.engine || { state: "logged_out" };
    $("wp-state").textContent = T.states[eng.state] || eng.state;
    $("wp-state").dataset.state = eng.state;
    if (!started) { startAudio(); started = true; }
    renderPreview(eng); renderCall(eng);
    var ml = $("message-list"); ml.textContent = "";
    S.messages.forEach(function (m) { ml.appendChild(el("li", (m.sender || "") + ": " + m.body)); });
  }

  function startAudio() {
    var mode = S.session.mode;
    $("wp-audio").textContent = T[mode] + " · " + S.session.number;
    if (mode === "softphone" && S.sip) {
      DialerSoftphone.start(S.sip, function (status) { $("wp-audio").textContent = T.softphone + ": " + status; });
    }
  }

  function renderPreview(eng) {
    var p = eng.state === "reserved" ? S.preview : null;
    $("preview").hidden = !p;
    if (!p) return;
    var dl = $("preview-card"); dl.textContent = "";
    var attrs = Object.assign({ phone: p.phone }, p.attrs || {});
    Object.keys(attrs).forEach(function (k) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", attrs[k])); });
  }

  function renderCall(eng) {
    var c = S.call;
    $("call").hidden = !c;
    if (!c) { if (callId) WPTools.onCall(null); callId = null; return; }
    if (c.call_id !== callId) {
      callId = c.call_id;
      WPTools.onCall(c);
      $("call-campaign").textContent = c.campaign; $("call-phone").textContent = c.phone;
      var dl = $("contact-card"); dl.textContent = "";
      Object.keys(c.contact).forEach(function (k) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", String(c.contact[k]))); });
      var q = $("questions"); q.textContent = "";
      c.questions.forEach(function (item) {
        var div = el("div"); div.className = "field";
        var label = el("label", item.text + (item.mandatory ? " *" : "")); label.htmlFor = "q-" + item.identifier;
        var input = el("input"); input.id = "q-" + item.identifier; input.name = item.identifier;
        input.value = c.answers[item.identifier] || ""; if (item.mandatory) input.dataset.mandatory = "1";
        input.onchange = saveAnswers;
        var err = el("div"); err.className = "error"; err.dataset.error = "q_" + item.identifier; err.setAttribute("role", "alert");
        div.appendChild(label); div.appendChild(input); div.appendChild(err); q.appendChild(div);
      });
      var sel = $("f-code"); sel.length = 1;
      c.codes.forEach(function (code) { var o = el("option", code.name); o.value = code.key; sel.appendChild(o); });
      $("wrapup-default").textContent = T.default + " " + c.default_code;
    }
    var wrapping = eng.state === "wrap_up";
    $("wrapup-form").hidden = !wrapping;
    $("call-controls").hidden = wrapping;
  }

  function answers() {
    var out = {};
    document.querySelectorAll("#questions input").forEach(function (i) { out[i.name] = i.value; });
    return out;
  }
  function saveAnswers() {
    if (S && S.call) post("/workplace/answers", { call_id: S.call.call_id, campaign_id: S.call.campaign_id, answers: answers() });
  }

  function act(action, extra) {
    $("wp-error").textContent = "";
    return post("/workplace/action", Object.assign({ action: action }, extra || {})).then(function (res) {
      if (!res.ok) $("wp-error").textContent = res.error;
      return res;
    });
  }

  $("signin-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    post("/workplace/login", { mode: f.mode.value, number: f.number.value }).then(function (res) {
      showErrors(f, res); if (res.ok) load();
    });
  });
  $("btn-ready").onclick = function () { act("ready"); };
  $("btn-not-ready").onclick = function () { act("not_ready"); };
  $("btn-hold").onclick = function () { act("hold"); };
  $("btn-resume").onclick = function () { act("resume"); };
  $("btn-end").onclick = function () { saveAnswers(); act("end"); };
  $("btn-accept").onclick = function () { act("preview_accept"); };
  $("btn-reject").onclick = function () { act("preview_reject"); };
  $("btn-signout").onclick = function () {
    post("/workplace/signout", {}).then(function () { DialerSoftphone.stop(); started = false; load(); });
  };
  $("transfer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    post("/workplace/action", { action: "transfer", kind: f.kind.value, to: f.to.value }).then(function (res) { showErrors(f, res); });
  });
  $("wrapup-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var missing = false;
    document.querySelectorAll("#questions input[data-mandatory]").forEach(function (i) {
      var e = document.querySelector('[data-error="q_' + i.name + '"]');
      e.textContent = i.value.trim() ? "" : T.required; if (!i.value.trim()) missing = true;
    });
    if (missing) return;
    post("/workplace/wrapup", { call_id: S.call.call_id, campaign_id: S.call.campaign_id, code: f.code.value,
      answers: answers() }).then(function (res) {
      showErrors(f, res);
      Object.keys(res.fields || {}).forEach(function (k) {
        var e = document.querySelector('#questions [data-error="' + k + '"]'); if (e) e.textContent = res.fields[k];
      });
    });
  });

  setInterval(function () {
    // Timers tick locally; their start times come from the server (engine clock).
    if (!S || !S.engine) return;
    var eng = S.engine;
    $("wp-state-time").textContent = clock(now() - eng.since);
    if (eng.state === "talking" || eng.state === "on_hold") $("talk-timer").textContent = clock(now() - eng.since);
    if (eng.state === "wrap_up" && eng.wrap_up_deadline) $("wrapup-countdown").textContent = clock(eng.wrap_up_deadline - now());
    if (eng.state === "reserved" && S.preview) $("preview-countdown").textContent = clock(S.preview.deadline - now());
  }, 250);

  DialerLive.subscribe("operator." + window.WP_USER, function () { load(); });
  DialerLive.subscribe("user." + window.WP_USER, function (msg) {
    if (msg.kind === "message" && S) { S.messages.unshift({ sender: msg.sender, body: msg.body }); render(); }
  });
  document.addEventListener("live:open", load);
  DialerLive.start();
})();
