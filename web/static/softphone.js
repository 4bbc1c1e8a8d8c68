// The browser softphone (R5.6, R7.1): JsSIP registered to FreeSWITCH's WebSocket profile, one
// nailed-up call to agent_login that stays up all shift, and auto-answer of anything else the
// switch sends (a direct-mode ring). The bundle is built from the pinned npm package at setup.
window.DialerSoftphone = (function () {
  var ua = null, session = null, audio = null, onStatus = function () {};

  function load(cb) {
    if (window.JsSIP) return cb();
    var s = document.createElement("script");
    s.src = "/static/vendor/jssip.min.js";
    s.onload = cb;
    s.onerror = function () { onStatus("the softphone bundle is missing: run make setup"); };
    document.head.appendChild(s);
  }

  function attach(sess) {
    sess.connection && sess.connection.addEventListener("track", function (ev) {
      if (!audio) { audio = new Audio(); audio.autoplay = true; }
      audio.srcObject = ev.streams[0];
    });
  }

  function start(sip, status) {
    onStatus = status || onStatus;
    load(function () {
      var host = location.hostname;
      var socket = new JsSIP.WebSocketInterface(sip.wss || ("wss://" + host + ":7443"));
      ua = new JsSIP.UA({ sockets: [socket], uri: "sip:" + sip.user + "@" + (sip.domain || host),
        password: sip.password, register: true, session_timers: false });
      ua.on("registered", function () {
        onStatus("registered");
        session = ua.call("sip:agent_login@" + (sip.domain || host), { mediaConstraints: { audio: true, video: false } });
        attach(session);
      });
      ua.on("registrationFailed", function (e) { onStatus("unregistered: " + e.cause); });
      ua.on("newRTCSession", function (e) {
        if (e.originator === "remote") { attach(e.session); e.session.answer({ mediaConstraints: { audio: true, video: false } }); }
      });
      ua.start();
    });
  }

  function stop() {
    // End the nailed-up leg ourselves: FreeSWITCH keeps a leg whose page just vanished.
    if (session) { try { session.terminate(); } catch (e) { /* already ended */ } }
    if (ua) ua.stop();
    ua = session = null;
  }

  window.addEventListener("beforeunload", stop);
  return { start: start, stop: stop };
})();
