// Live updates over one WebSocket per page: subscribe to topics, get pushed JSON.
// Reconnects with backoff, re-subscribes, and shows a banner while the link is down.
(function () {
  var handlers = {};
  var ws = null;
  var delay = 500;
  var banner = null;

  function showBanner(text) {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "live-banner";
      banner.setAttribute("role", "alert");
      document.body.appendChild(banner);
    }
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner() { if (banner) banner.hidden = true; }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.onopen = function () {
      delay = 500;
      hideBanner();
      var topics = Object.keys(handlers);
      if (topics.length) ws.send(JSON.stringify({ subscribe: topics }));
      document.dispatchEvent(new CustomEvent("live:open"));
    };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.topic && handlers[msg.topic]) handlers[msg.topic].forEach(function (cb) { cb(msg.data, msg.topic); });
    };
    ws.onclose = function () {
      showBanner(document.documentElement.lang === "ru"
        ? "Соединение с сервером потеряно. Переподключение…"
        : "Connection to the server lost. Reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  window.DialerLive = {
    subscribe: function (topic, cb) {
      (handlers[topic] = handlers[topic] || []).push(cb);
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ subscribe: [topic] }));
    },
    start: function () { if (!ws) connect(); },
  };
})();
