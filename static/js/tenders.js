/* Tendering pages: the bid sealed in the browser with WebCrypto (PBKDF2-SHA256 → AES-256-GCM, docs/api.md "Tenders",
   byte-compatible with tenders/client.py), the opening hall's decryption and polling. The passphrase never
   leaves the browser: only the envelope (and, at the opening, the derived key) is sent. No inline scripts (CSP). */
(function () {
  "use strict";
  var ITERATIONS = 600000;
  var enc = new TextEncoder();

  function b64(bytes) {
    var s = "", a = new Uint8Array(bytes);
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); }
    return a;
  }
  function hex(buf) {
    var a = new Uint8Array(buf), out = "";
    for (var i = 0; i < a.length; i++) { out += (a[i] < 16 ? "0" : "") + a[i].toString(16); }
    return out;
  }
  function deriveBits(passphrase, salt, iterations) {
    return crypto.subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, ["deriveBits"])
      .then(function (base) {
        return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
                                        base, 256);
      });
  }
  function aesKey(raw, usage) {
    return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, [usage]);
  }
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }
  function errorText(data) {
    return (data && data.error && data.error.message) || "提交失败，请稍后重试";
  }
  function setError(form, name, text) {
    var el = form.querySelector("[data-error-for=" + name + "]");
    if (el) { el.textContent = text || ""; }
    var input = form.querySelector("[name=" + name + "]");
    if (input && input.parentNode) { input.parentNode.classList.toggle("has-error", !!text); }
  }
  var MONEY = /^(0|[1-9]\d{0,13})(\.\d{1,2})?$/;

  /* ---------------------------------------------------------------- the bid page */
  var bidForm = document.querySelector("[data-bid-form]");
  if (bidForm) {
    bidForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var price = bidForm.price.value.trim().replace(/,/g, ""), pass = bidForm.passphrase.value,
          pass2 = bidForm.passphrase2.value, status = bidForm.querySelector("[data-bid-status]"), bad = false;
      setError(bidForm, "price", ""); setError(bidForm, "passphrase", ""); setError(bidForm, "passphrase2", "");
      if (!MONEY.test(price) || Number(price) <= 0) { setError(bidForm, "price", "请输入大于0的金额，最多两位小数"); bad = true; }
      if (pass.length < 8) { setError(bidForm, "passphrase", "口令至少 8 位"); bad = true; }
      else if (pass !== pass2) { setError(bidForm, "passphrase2", "两次输入的口令不一致"); bad = true; }
      if (bad) { return; }
      if (!window.crypto || !crypto.subtle) { status.textContent = "浏览器不支持 WebCrypto，请使用新版浏览器（HTTPS）"; return; }
      var button = bidForm.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = "正在本机加密…";
      var salt = crypto.getRandomValues(new Uint8Array(16)), nonce = crypto.getRandomValues(new Uint8Array(12));
      var aad = enc.encode(bidForm.getAttribute("data-aad"));
      var plaintext = enc.encode(JSON.stringify({ price: price }));
      var envelope, localHash;
      deriveBits(pass, salt, ITERATIONS).then(function (raw) { return aesKey(raw, "encrypt"); })
        .then(function (key) {
          return crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, key,
                                       plaintext);
        })
        .then(function (ct) {
          envelope = { ciphertext: b64(ct), nonce: b64(nonce), salt: b64(salt), iterations: ITERATIONS };
          return crypto.subtle.digest("SHA-256", ct);
        })
        .then(function (digest) {
          localHash = hex(digest);
          status.textContent = "已加密，正在递交密文…";
          return post(bidForm.getAttribute("data-url"), bidForm.getAttribute("data-csrf"), envelope);
        })
        .then(function (res) {
          button.disabled = false;
          if (!res.ok) { status.textContent = errorText(res.data); return; }
          bidForm.reset();
          status.textContent = "投标文件已递交。请牢记加密口令，开标时用于解密。";
          var card = document.getElementById("receipt");
          card.hidden = false;
          card.querySelector("[data-receipt-hash]").textContent = res.data.receipt;
          card.querySelector("[data-receipt-status]").textContent = "已递交（密封）";
          card.querySelector("[data-receipt-time]").textContent = Tradehall.formatBeijing(res.data.submitted_at);
          card.querySelector("[data-receipt-rev]").textContent = res.data.revision;
          card.querySelector("[data-receipt-check]").textContent = res.data.receipt === localHash
            ? "✔ 回执与本机计算的密文 SHA-256 一致" : "✘ 回执与本机计算的密文摘要不一致，请联系中心";
          setTimeout(function () { window.location.reload(); }, 2500);
        })
        .catch(function () { button.disabled = false; status.textContent = "加密或递交失败，请重试"; });
    });
  }

  /* ---------------------------------------------------------------- the opening hall: decrypt */
  var decForm = document.querySelector("[data-decrypt-form]");
  if (decForm) {
    decForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var pass = decForm.passphrase.value, status = decForm.querySelector("[data-decrypt-status]");
      setError(decForm, "passphrase", "");
      if (!pass) { setError(decForm, "passphrase", "请输入加密口令"); return; }
      var button = decForm.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = "正在本机推导密钥…";
      var rawKey;
      deriveBits(pass, unb64(decForm.getAttribute("data-salt")), Number(decForm.getAttribute("data-iterations")))
        .then(function (raw) {
          rawKey = raw;
          return aesKey(raw, "decrypt");
        })
        .then(function (key) {  // check locally first: a wrong passphrase never reaches the server
          return crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(decForm.getAttribute("data-nonce")),
                                         additionalData: enc.encode(decForm.getAttribute("data-aad")), tagLength: 128 },
                                       key, unb64(decForm.getAttribute("data-ciphertext")))
            .then(function () { return true; }, function () { return false; });
        })
        .then(function (ok) {
          if (!ok) { throw new Error("wrong"); }
          status.textContent = "口令正确，正在提交解密密钥…";
          return post(decForm.getAttribute("data-url"), decForm.getAttribute("data-csrf"), { key: b64(rawKey) });
        })
        .then(function (res) {
          if (!res.ok) { button.disabled = false; status.textContent = errorText(res.data); return; }
          status.textContent = "解密成功，报价 " + res.data.price + " 元。";
          setTimeout(function () { window.location.reload(); }, 1500);
        })
        .catch(function () {
          button.disabled = false;
          setError(decForm, "passphrase", "口令错误：无法解密投标文件（投标文件仍密封，可重试）");
          status.textContent = "";
        });
    });
  }

  /* ---------------------------------------------------------------- the opening hall: polling */
  var hall = document.querySelector("[data-hall]");
  if (hall) {
    var rows = document.querySelector("[data-hall-rows]"), initial = hall.getAttribute("data-status");
    var hasRecord = !!hall.getAttribute("data-record");
    var LABELS = { opening: "开标中（解密）", opened: "已开标", failed: "流标" };
    var HEADS = ["投标人", "解密", "解密时间", "报价", "回执（密文 SHA-256）"];
    function cell(tr, text, cls) {
      var td = document.createElement("td");
      td.textContent = text;
      td.setAttribute("data-label", HEADS[tr.children.length] || "");
      if (cls) { td.className = cls; }
      tr.appendChild(td);
    }
    function show(data) {
      if (window.Tradehall && data.server_time) { Tradehall.syncServerTime(data.server_time); }
      // reload when the status moves, or when the opening record appears (the clock implies "opened" at the end of
      // the decryption window; the scheduler writes the record moments later)
      if (initial !== null && (data.status !== initial || (data.record_sha256 && !hasRecord))) {
        initial = null;
        window.location.reload();
        return;
      }
      if (!data.bids || !data.bids.length) { return; }
      rows.textContent = "";
      data.bids.forEach(function (b) {
        var tr = document.createElement("tr");
        cell(tr, b.bidder_org);
        cell(tr, b.decrypted ? "✔ 已解密" : (b.status === "void" ? "未解密（无效）" : "待解密"));
        cell(tr, b.decrypted_at ? Tradehall.formatBeijing(b.decrypted_at) : "—", "num");
        cell(tr, b.price === null ? "开标后公布" : Tradehall.formatAmount(b.price) + (b.rejection === "over_budget" ? "（超限价，否决）" : ""), "num");
        cell(tr, b.receipt || "", "mono break small");
        rows.appendChild(tr);
      });
      var badge = document.querySelector("[data-hall-status]");
      if (badge && LABELS[data.status]) { badge.textContent = LABELS[data.status]; }
    }
    function poll() {
      fetch(hall.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { show(data); } })
        .catch(function () {});
    }
    poll();
    setInterval(poll, 5000);
  }
})();
