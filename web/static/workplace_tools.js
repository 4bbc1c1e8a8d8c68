// The workplace's tools around a call: integrations, the customer's live data, SMS, callback,
// DNC and today's history. workplace.js calls WPTools.onCall when the current call changes.
// The page only ever holds the masked number: the server resolves the real one from the call id.
window.WPTools = (function () {
  var T = window.WP_TEXT;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var call = null, opts = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function getJson(url) { return fetch(url).then(function (r) { return r.json(); }); }
  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body) }).then(function (r) { return r.json(); });
  }
  function showErrors(form, res) {
    form.querySelectorAll("[data-error]").forEach(function (e) { e.textContent = ""; });
    var done = form.querySelector("[data-done]"); if (done) done.textContent = res.ok ? T.done : "";
    if (res.ok) return;
    var shown = false;
    Object.keys(res.fields || {}).forEach(function (k) {
      var e = form.querySelector('[data-error="' + k + '"]'); if (e) { e.textContent = res.fields[k]; shown = true; }
    });
    if (!shown) form.querySelector('[data-error="__all__"]').textContent = res.error;
  }
  function fill(select, items, label) {
    select.length = 1;
    items.forEach(function (it) { var o = el("option", label(it)); o.value = it.id; select.appendChild(o); });
  }
  function bind(form, values) {
    form.querySelectorAll("[data-bind]").forEach(function (o) { o.textContent = values[o.dataset.bind] || ""; });
  }
  function toggle(id) {
    ["sms-form", "dnc-form", "callback-form"].forEach(function (f) { if (f !== id) $(f).hidden = true; });
    $(id).hidden = !$(id).hidden;
  }

  function options() {
    if (opts) return Promise.resolve(opts);
    return getJson("/workplace/options").then(function (o) {
      opts = o;
      fill($("f-sms-template"), o.sms_templates, function (t) { return t.name; });
      fill($("f-dnc-list"), o.dnc_lists, function (d) { return d.name; });
      fill($("f-cb-operator"), o.operators, function (p) { return p.name; });
      return o;
    });
  }

  function openCallback(target) {
    var f = $("callback-form");
    f.call_id.value = target.call_id; bind(f, target);
    f.querySelector("[data-done]").textContent = "";
    options().then(function () { toggle("callback-form"); });
  }

  function links() {
    var ul = $("link-list"); ul.textContent = "";
    getJson("/workplace/links?call_id=" + encodeURIComponent(call.call_id)).then(function (res) {
      $("integrations").hidden = !(res.links || []).length;
      (res.links || []).forEach(function (l) {
        var a = el("a", l.name); a.href = l.url; a.target = "_blank"; a.rel = "noopener";
        var li = el("li"); li.appendChild(a); ul.appendChild(li);
        if (l.open_by_default) window.open(l.url, "_blank", "noopener");
      });
    });
  }

  function customer() {
    $("customer-status").textContent = T.loading;
    getJson("/workplace/customer?call_id=" + encodeURIComponent(call.call_id)).then(function (res) {
      $("customer").hidden = res.ok && !res.configured;
      var dl = $("customer-data"); dl.textContent = "";
      Object.keys(res.data || {}).forEach(function (k) {
        dl.appendChild(el("dt", k)); dl.appendChild(el("dd", String(res.data[k])));
      });
      $("customer-status").textContent = res.ok ? (res.error || T.updated + " " + new Date().toLocaleTimeString())
        : res.error;
    });
  }

  function onCall(c) {
    call = c;
    $("call-tools").hidden = !c;
    ["sms-form", "dnc-form"].forEach(function (f) { $(f).hidden = true; });
    if (!c) return;
    bind($("sms-form"), c);
    $("f-dnc-number").value = c.phone;
    links(); customer();
  }

  function history() {
    getJson("/workplace/history").then(function (res) {
      var table = $("history-table"), body = table.querySelector("tbody");
      table.hidden = false; body.textContent = "";
      (res.calls || []).forEach(function (h) {
        var tr = el("tr");
        [new Date(h.started_at).toLocaleTimeString(), h.campaign, h.phone, h.code].forEach(function (v) {
          tr.appendChild(el("td", v || ""));
        });
        var b = el("button", T.add_callback); b.type = "button";
        b.onclick = function () { openCallback(h); };
        var td = el("td"); td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
      });
    });
  }

  $("btn-customer-refresh").onclick = function () { if (call) customer(); };
  $("btn-tool-sms").onclick = function () { options().then(function () { toggle("sms-form"); }); };
  $("btn-tool-dnc").onclick = function () { options().then(function () { toggle("dnc-form"); }); };
  $("btn-tool-callback").onclick = function () { if (call) openCallback(call); };
  $("btn-history").onclick = history;
  $("f-sms-template").onchange = function (ev) {
    var t = (opts.sms_templates || []).filter(function (x) { return String(x.id) === ev.target.value; })[0];
    $("f-sms-text").value = t ? t.body : "";
  };
  $("f-cb-kind").onchange = function (ev) {
    var sel = $("f-cb-operator"); sel.disabled = ev.target.value !== "operator"; if (sel.disabled) sel.value = "";
  };
  $("sms-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    post("/workplace/sms", { call_id: call.call_id, template_id: f.template_id.value }).then(function (r) {
      showErrors(f, r);
    });
  });
  $("dnc-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    post("/workplace/dnc", { call_id: call.call_id, dnc_list_id: f.dnc_list_id.value, number: f.number.value })
      .then(function (r) { showErrors(f, r); });
  });
  $("callback-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    post("/workplace/callback", { call_id: f.call_id.value, kind: f.kind.value, operator_id: f.operator_id.value,
      due_at: f.due_at.value, note: f.note.value }).then(function (r) { showErrors(f, r); });
  });

  return { onCall: onCall };
})();
