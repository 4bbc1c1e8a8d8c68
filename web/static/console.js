// Supervisor console: a snapshot on load and after each reconnect, then engine events pushed
// over the page's WebSocket ("supervisor.events", batched) and counters ("supervisor.campaigns").
(function () {
  var T = window.CONSOLE_TEXT;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var operators = {};
  var calls = {};
  var campaigns = [];
  var filter = "";
  var skew = 0;  // server clock minus ours, from the events' "at"

  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body) }).then(function (r) { return r.json(); });
  }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function st(s) { return T.states[s] || s || ""; }
  function fmt(v) { return v === null || v === undefined ? "—" : String(v); }
  function since(t) {
    if (!t) return "";
    var s = Math.max(0, Math.round(Date.now() / 1000 + skew - t));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function renderCampaigns() {
    var body = document.querySelector("#campaigns tbody");
    body.textContent = "";
    var sel = document.getElementById("op-filter"), fsel = document.getElementById("f-campaign");
    campaigns.forEach(function (c) {
      var tr = el("tr"); tr.dataset.campaign = c.id;
      [c.name, st(c.state), c.contacts, c.called, c.remaining, c.callbacks_planned, c.processed_pct,
       fmt(c.abandon_24h), fmt(c.abandon_30d), c.occupancy_pct, c.in_flight].forEach(function (v, i) {
        var td = el("td", String(v)); if (i === 1) td.className = "state"; tr.appendChild(td);
      });
      var td = el("td");
      ["pause", "resume", "stop"].forEach(function (a) {
        var b = el("button", T[a]); b.type = "button"; b.dataset.action = a;
        b.onclick = function () { post("/supervisor/console/campaign", { campaign_id: c.id, action: a }).then(report(td)); };
        td.appendChild(b);
      });
      var rate = el("input"); rate.type = "number"; rate.step = "0.1"; rate.min = "0.1"; rate.max = "30"; rate.title = T.rate; rate.className = "rate";
      var set = el("button", T.set); set.type = "button";
      set.onclick = function () { post("/supervisor/console/campaign", { campaign_id: c.id, action: "call_rate", call_rate: rate.value }).then(report(td)); };
      td.appendChild(rate); td.appendChild(set); td.appendChild(el("span", "", "error"));
      tr.appendChild(td); body.appendChild(tr);
      [sel, fsel].forEach(function (s) {
        if (!s.querySelector('option[value="' + c.id + '"]')) { var o = el("option", c.name); o.value = c.id; s.appendChild(o); }
      });
    });
  }
  function report(td) {
    return function (res) { td.querySelector(".error").textContent = res.ok ? "" : (res.error || ""); if (res.ok) refresh(); };
  }

  function renderOperators() {
    var body = document.querySelector("#operators tbody");
    body.textContent = "";
    Object.keys(operators).sort(function (a, b) { return a.length - b.length || (a < b ? -1 : 1); }).forEach(function (id) {
      var o = operators[id];
      var call = o.call_id ? calls[o.call_id] : null;
      var campaign = call ? call.campaign_id : o.campaign_id;
      if (filter && String(campaign) !== filter) return;
      var tr = el("tr"); tr.dataset.operator = id;
      var stateText = st(o.state) + (o.pending ? " (" + st(o.pending.replace("set_", "")) + " " + T.pending + ")" : "");
      [o.name, o.number, o.skills, stateText, since(o.since), call ? st(call.state) : "", campaign || ""].forEach(function (v, i) {
        var td = el("td", String(v)); if (i === 3) { td.className = "state"; td.dataset.state = o.state; } if (i === 4) { td.className = "since"; td.dataset.since = o.since || ""; }
        tr.appendChild(td);
      });
      var td = el("td"); var b = el("button", T.act); b.type = "button"; b.onclick = function () { openDialog(id); };
      td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
    });
  }

  function openDialog(id) {
    var form = document.getElementById("op-form");
    form.operator_id.value = id;
    document.getElementById("op-title").textContent = operators[id].name;
    form.querySelectorAll("[data-error]").forEach(function (e) { e.textContent = ""; });
    document.getElementById("op-dialog").showModal();
  }
  document.getElementById("op-close").onclick = function () { document.getElementById("op-dialog").close(); };
  document.getElementById("op-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target, data = {};
    ["operator_id", "action", "reason", "campaign_id", "text", "code", "endpoint"].forEach(function (n) { data[n] = form[n].value; });
    form.querySelectorAll("[data-error]").forEach(function (e) { e.textContent = ""; });
    post("/supervisor/console/operator", data).then(function (res) {
      if (res.ok) { document.getElementById("op-dialog").close(); return; }
      var fields = res.fields || {}, shown = false;
      Object.keys(fields).forEach(function (k) { var e = form.querySelector('[data-error="' + k + '"]'); if (e) { e.textContent = fields[k]; shown = true; } });
      if (!shown) form.querySelector('[data-error="__all__"]').textContent = res.error;
    });
  });
  document.getElementById("op-filter").onchange = function (ev) { filter = ev.target.value; renderOperators(); };

  function refresh() {
    fetch("/supervisor/console/snapshot").then(function (r) { return r.json(); }).then(function (snap) {
      campaigns = snap.campaigns; operators = {};
      snap.operators.forEach(function (o) { operators[o.operator_id] = o; });
      renderCampaigns(); renderOperators();
    });
  }

  function onEvent(ev) {
    if (ev.at) skew = ev.at - Date.now() / 1000;
    if (ev.kind === "operator") {
      var o = operators[ev.operator_id] || { operator_id: ev.operator_id, name: "#" + ev.operator_id, number: "", skills: "" };
      o.state = ev.state; o.since = ev.since; o.pending = ev.pending; o.call_id = ev.call_id;
      operators[ev.operator_id] = o;
    } else if (ev.kind === "call") {
      calls[ev.call_id] = ev;
    } else if (ev.kind === "call_ended") {
      delete calls[ev.call_id];
    }
  }

  DialerLive.subscribe("supervisor.events", function (batch) {
    batch.forEach(onEvent);
    renderOperators();
    document.getElementById("live-stamp").textContent = new Date().toLocaleTimeString();
  });
  DialerLive.subscribe("supervisor.campaigns", function (rows) { campaigns = rows; renderCampaigns(); });
  document.addEventListener("live:open", refresh);
  setInterval(function () {
    document.querySelectorAll("#operators td.since").forEach(function (td) { td.textContent = since(parseFloat(td.dataset.since)); });
  }, 1000);
  DialerLive.start();
})();
