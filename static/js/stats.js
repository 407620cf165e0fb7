/* Statistics pages: period presets fill the date-range form (plain GET form; works without JS). */
(function () {
  "use strict";
  var box = document.querySelector("[data-period-presets]");
  if (!box) { return; }
  var form = box.closest("form");
  function iso(d) {
    var m = d.getMonth() + 1, day = d.getDate();
    return d.getFullYear() + "-" + (m < 10 ? "0" : "") + m + "-" + (day < 10 ? "0" : "") + day;
  }
  /* Beijing calendar date, from the server's clock (Tradehall.serverNow) */
  function today() {
    var ms = (window.Tradehall && Tradehall.serverNow) ? Tradehall.serverNow() : Date.now();
    var b = new Date(ms + 8 * 3600 * 1000);
    return new Date(b.getUTCFullYear(), b.getUTCMonth(), b.getUTCDate());
  }
  box.addEventListener("click", function (ev) {
    var kind = ev.target.getAttribute("data-preset");
    if (!kind) { return; }
    var t = today(), y = t.getFullYear(), m = t.getMonth(), start;
    if (kind === "month") { start = new Date(y, m, 1); }
    else if (kind === "quarter") { start = new Date(y, m - m % 3, 1); }
    else if (kind === "half") { start = new Date(y, m < 6 ? 0 : 6, 1); }
    else { start = new Date(y, 0, 1); }
    form.querySelector("[name=from]").value = iso(start);
    form.querySelector("[name=to]").value = iso(t);
    form.submit();
  });
})();
