/* Certificates pages: confirmation on individual submit buttons (data-confirm on a button). */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("button[data-confirm]") : null;
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
})();
