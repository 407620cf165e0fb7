/* Tradehall: countdowns driven by the server's clock, confirmations. No inline scripts (CSP). */
(function () {
  "use strict";
  var serverAtLoad = Date.parse(document.body.getAttribute("data-server-time") || "");
  var offset = isNaN(serverAtLoad) ? 0 : serverAtLoad - Date.now();

  window.Tradehall = window.Tradehall || {};
  /* server time now = browser time + offset measured at page load (re-synced by live pages) */
  Tradehall.serverNow = function () { return Date.now() + offset; };
  Tradehall.syncServerTime = function (iso) {
    var t = Date.parse(iso);
    if (!isNaN(t)) { offset = t - Date.now(); }
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // An instant as the pages show it: Beijing wall-clock time, "2026-12-24 14:39:08" (UTC+8, no DST).
  Tradehall.formatBeijing = function (iso) {
    var t = new Date(iso);
    if (isNaN(t)) { return "—"; }
    var b = new Date(t.getTime() + 8 * 3600 * 1000);
    return b.getUTCFullYear() + "-" + pad(b.getUTCMonth() + 1) + "-" + pad(b.getUTCDate()) + " " +
      pad(b.getUTCHours()) + ":" + pad(b.getUTCMinutes()) + ":" + pad(b.getUTCSeconds());
  };
  // A decimal amount string ("905000.00") with thousands separators, exactly (no float arithmetic).
  Tradehall.formatAmount = function (s) {
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(String(s));
    if (!m) { return String(s); }
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "");
  };
  Tradehall.formatRemaining = function (ms) {
    if (ms <= 0) { return null; }
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), sec = s % 60;
    return (d > 0 ? d + "天 " : "") + pad(h) + ":" + pad(m) + ":" + pad(sec);
  };

  function tick() {
    var now = Tradehall.serverNow();
    var nodes = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i], target = Date.parse(el.getAttribute("data-countdown"));
      var value = el.querySelector(".cd-value") || el;
      var text = isNaN(target) ? null : Tradehall.formatRemaining(target - now);
      if (text === null) {
        value.textContent = el.getAttribute("data-done") || "已结束";
        el.classList.add("is-done");
      } else {
        value.textContent = text;
        el.classList.remove("is-done");
      }
    }
    var clock = document.querySelector("[data-server-clock]");
    if (clock) {
      var d = new Date(now + 8 * 3600 * 1000);
      clock.textContent = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    }
  }
  tick();
  setInterval(tick, 1000);

  document.addEventListener("submit", function (ev) {
    var form = ev.target, msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });
})();

/* Project form: dim the fields that do not apply to the chosen unit / direction (the server still decides). */
(function () {
  "use strict";
  var form = document.querySelector("[data-project-form]");
  if (!form) { return; }
  function sync() {
    var unit = form.querySelector("[name=price_unit]"), dir = form.querySelector("[name=direction]");
    var perMu = !unit || unit.value === "per_mu_year", desc = dir && dir.value === "descending";
    var i, nodes = form.querySelectorAll(".dep-per-mu");
    for (i = 0; i < nodes.length; i++) { nodes[i].classList.toggle("is-na", !perMu); }
    nodes = form.querySelectorAll(".dep-desc");
    for (i = 0; i < nodes.length; i++) { nodes[i].classList.toggle("is-na", !desc); }
  }
  form.addEventListener("change", sync);
  sync();
})();
