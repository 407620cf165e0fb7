/* Bid security: check a guarantee number on the spot (nothing is attached until the registration is sent). */
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-guarantee-check]");
  Array.prototype.forEach.call(boxes, function (box) {
    var input = box.querySelector("input[name=guarantee_no]");
    var button = box.querySelector("[data-guarantee-check-button]");
    var out = box.querySelector("[data-guarantee-result]");
    var field = box.querySelector("[data-guarantee-field]");
    var radios = box.querySelectorAll("input[name=security_type]");

    function toggle() {
      var chosen = box.querySelector("input[name=security_type]:checked");
      var isGuarantee = !chosen || chosen.value === "guarantee";
      field.style.display = isGuarantee ? "" : "none";  /* CSSOM, allowed under the CSP */
      input.required = isGuarantee;
    }
    Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", toggle); });
    toggle();

    function show(ok, text) {
      out.textContent = text;
      out.className = ok ? "help ok" : "error";
      field.classList.toggle("has-error", !ok);
    }

    function check() {
      var no = (input.value || "").trim();
      if (!no) { show(false, "请填写保函编号"); return; }
      var url = box.getAttribute("data-check-url").replace("__NO__", encodeURIComponent(no));
      button.disabled = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (res) {
          if (res.body && typeof res.body.ok === "boolean") {
            show(res.body.ok, res.body.ok ? "✓ " + res.body.message : res.body.message);
          } else {
            show(false, (res.body && res.body.error && res.body.error.message) || "核验失败，请稍后再试");
          }
        })
        .catch(function () { show(false, "网络错误，请稍后再试"); })
        .then(function () { button.disabled = false; });
    }
    button.addEventListener("click", check);
    input.addEventListener("change", check);
  });
})();
