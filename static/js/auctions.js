/* Live auction room: listens to the pushed room (server-sent events, GET …/auction/events; the browser
   reconnects by itself with Last-Event-ID) and, while the stream is down or unsupported, falls back to
   polling GET /api/v1/projects/{id}/auction every second with ETag/If-None-Match;
   keeps the countdown on the server's clock, and posts bids to the CSRF-protected room route after a
   confirmation that shows the amount in Chinese capitals (大写, computed by the server). No inline scripts. */
(function () {
  "use strict";
  var room = document.getElementById("auction-room");
  if (!room) { return; }

  var api = room.getAttribute("data-api");
  var bidUrl = room.getAttribute("data-bid-url");
  var capitalUrl = room.getAttribute("data-capital-url");
  var csrf = room.getAttribute("data-csrf");
  var increment = parseFloat(room.getAttribute("data-increment"));
  var start = room.getAttribute("data-start");
  var sign = room.getAttribute("data-direction") === "descending" ? -1 : 1;
  var sealed = room.getAttribute("data-method") === "sealed";
  var etag = null, lastSeq = 0, current = room.getAttribute("data-current") || null;
  var leaderPriority = false, busy = false, pending = null;

  var $ = function (sel) { return room.querySelector(sel); };
  var priceEl = $("[data-current-price]"), countEl = $("[data-bid-count]"), statusEl = $("[data-status]");
  var mineEl = $("[data-my-status]"), cd = $("[data-countdown]"), history = $("[data-history]");
  var msg = $("[data-message]"), input = $("[data-amount]"), form = $("[data-bid-form]");
  var dialog = $("[data-confirm]"), confirmAmount = $("[data-confirm-amount]");
  var confirmCapital = $("[data-confirm-capital]"), confirmNote = $("[data-confirm-note]");
  var empty = $("[data-empty]"), prioBtn = $("[data-priority]"), resultLink = $("[data-result-link]");

  function fmt(v) {
    var n = Number(v);
    if (isNaN(n)) { return "—"; }
    return n.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + "元";
  }
  function cents(v) { return Math.round(Number(v) * 100); }
  function money(c) { return (c / 100).toFixed(2); }
  var wasLeading = false;
  function show(text, kind) {
    if (!msg) { return; }
    msg.textContent = text || "";
    msg.className = "flash flash-" + (kind || "info") + (text ? "" : " hidden");
  }
  function time(iso) {
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()) + ":" + p(d.getUTCSeconds());
  }

  function addRow(b, mine) {
    if (!history) { return; }
    if (empty) { empty.remove(); empty = null; }
    var tr = document.createElement("tr");
    if (mine && b.bidder_no === mine) { tr.className = "is-mine"; }
    var cells = [String(b.seq), b.bidder_no, fmt(b.amount), time(b.at)];
    cells.forEach(function (text, i) {
      var td = document.createElement("td");
      td.textContent = text;
      if (i === 1 && mine && b.bidder_no === mine) {
        var me = document.createElement("span");
        me.className = "me";
        me.textContent = "我";
        td.appendChild(me);
      }
      if (i === 2) {
        td.className = "money";
        if (b.label) {
          var tag = document.createElement("span");
          tag.className = "badge badge-priority";
          tag.textContent = b.label;
          td.appendChild(document.createTextNode(" "));
          td.appendChild(tag);
        }
      }
      tr.appendChild(td);
    });
    history.insertBefore(tr, history.firstChild);
    while (history.children.length > 50) { history.removeChild(history.lastChild); }
  }

  // The clock moves a room without a bid or a push (bidding starts, the end passes): at that instant, by the
  // server's time, ask the room once more, so the page turns over at once whatever the stream does.
  var turnTimer = null;
  function scheduleTurn(a) {
    var at = Date.parse(a.status === "announced" ? a.starts_at : (a.status === "bidding" ? a.ends_at : ""));
    if (turnTimer) { clearTimeout(turnTimer); turnTimer = null; }
    if (isNaN(at)) { return; }
    var wait = at - Tradehall.serverNow() + 300;
    if (wait > 0 && wait < 6 * 3600 * 1000) { turnTimer = setTimeout(function () { turnTimer = null; poll(); }, wait); }
  }

  function render(a) {
    Tradehall.syncServerTime(a.server_time);
    scheduleTurn(a);
    var before = Tradehall.serverNow() < Date.parse(a.starts_at);
    if (cd) {
      cd.setAttribute("data-countdown", before ? a.starts_at : a.ends_at);
      var lab = cd.querySelector(".cd-label");
      if (lab) { lab.textContent = before ? "距开始" : "距结束"; }
      cd.setAttribute("data-done", before ? "即将开始" : "竞价已结束");
    }
    var closed = ["awarded", "failed", "certified"].indexOf(a.status) >= 0;
    if (resultLink) { resultLink.hidden = !closed || (sealed && a.status === "bidding"); }
    if (statusEl) { statusEl.textContent = room.getAttribute("data-label-" + a.status) || a.status; }
    room.setAttribute("data-state", a.status);
    current = a.current_price;
    if (priceEl) { priceEl.textContent = sealed && !current ? "密封" : (current ? fmt(current) : "暂无报价"); }
    if (countEl) { countEl.textContent = a.bid_count; }
    (a.bids || []).forEach(function (b) {
      if (b.seq > lastSeq) { addRow(b, a.my_bidder_no); lastSeq = b.seq; leaderPriority = !!b.priority; }
    });
    if (mineEl && a.my_bidder_no) {
      var text = "竞买号 " + a.my_bidder_no + " · ";
      if (!a.qualified) { text += "未取得竞价资格"; mineEl.className = "mine"; }
      else if (sealed) {
        text += a.my_sealed_at ? "已提交密封报价（" + time(a.my_sealed_at) + "）" : "尚未提交报价";
        mineEl.className = a.my_sealed_at ? "mine is-leading" : "mine";
      }
      else if (a.leading) { text += "领先"; mineEl.className = "mine is-leading"; }
      else if (wasLeading && a.bid_count > 0) {
        /* replace a stale "出价成功" with the news that matters now */
        text += "被超越"; mineEl.className = "mine is-outbid";
        show("您的出价已被超越，当前价 " + fmt(a.current_price), "warning");
      }
      else if (a.bid_count > 0) { text += "被超越"; mineEl.className = "mine is-outbid"; }
      else { text += "尚未出价"; mineEl.className = "mine"; }
      mineEl.textContent = text;
      wasLeading = !sealed && !!a.leading;
      if (prioBtn) { prioBtn.hidden = !(current && !a.leading && !leaderPriority && a.status === "bidding"); }
    }
    if (input && !sealed) {
      input.placeholder = (sign > 0 ? "最低 " : "最高 ") + money(base() + sign * Math.round(increment * 100));
    }
    var open = a.status === "bidding" || (a.status === "announced" && Tradehall.serverNow() >= Date.parse(a.starts_at));
    if (form) { form.classList.toggle("is-closed", !open); }
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(api + "?since=" + lastSeq, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        var st = r.headers.get("X-Server-Time");
        if (st) { Tradehall.syncServerTime(st); }
        if (r.status === 304) { return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (a) { if (a) { render(a); } room.classList.remove("is-offline"); })
      .catch(function () { room.classList.add("is-offline"); });
  }

  function base() { return current ? cents(current) : cents(start) - sign * Math.round(increment * 100); }

  room.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.hasAttribute("data-steps")) {
      var k = parseInt(t.getAttribute("data-steps"), 10);
      input.value = money(base() + sign * k * Math.round(increment * 100));
      input.focus();
    } else if (t.hasAttribute("data-priority")) {
      if (current) { ask(current, true); }
    } else if (t.hasAttribute("data-confirm-yes")) {
      send();
    } else if (t.hasAttribute("data-confirm-no")) {
      dialog.hidden = true; pending = null;
    }
  });

  function ask(amount, priority) {
    fetch(capitalUrl + "?amount=" + encodeURIComponent(amount), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (!res.ok) { show(res.j.error ? res.j.error.message : "金额格式无效", "danger"); return; }
        pending = res.j.amount;
        confirmAmount.textContent = fmt(res.j.amount);
        confirmCapital.textContent = res.j.capital;
        confirmNote.textContent = priority ? "您将以当前价行使优先权（优先权人同价优先）。" :
          (sealed ? "密封报价在截止前可替换，开标前任何人（含工作人员）均不可见。" : "出价一经接受不可撤回。");
        dialog.hidden = false;
        var yes = dialog.querySelector("[data-confirm-yes]");
        if (yes) { yes.focus(); }
      })
      .catch(function () { show("网络异常，请稍后重试", "danger"); });
  }

  function send() {
    if (busy || !pending) { return; }
    busy = true;
    dialog.hidden = true;
    var key = "room-" + Date.now() + "-" + Math.random().toString(36).slice(2);
    fetch(bidUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": key },
      body: JSON.stringify({ amount: pending })
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok) {
          show(sealed ? "密封报价已提交：" + fmt(res.j.amount) + "（截止前可替换）" : "出价成功：" + fmt(res.j.amount),
               "success");
          input.value = "";
          poll();
        } else {
          show(res.j.error ? res.j.error.message : "出价未被接受", "danger");
          /* a refusal carries the current price: refresh the room now rather than at the next tick */
          if (res.j.error && res.j.error.current_price !== undefined) { poll(); }
        }
      })
      .catch(function () { show("网络异常，出价结果未知，请查看出价记录后再试", "danger"); })
      .then(function () { busy = false; pending = null; });
  }

  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = (input.value || "").trim();
      if (!v) { show("请输入报价金额", "warning"); return; }
      ask(v, false);
    });
  }
  var initial = history ? history.getAttribute("data-last-seq") : null;
  if (initial) { lastSeq = parseInt(initial, 10) || 0; }
  var timer = null;
  function startPolling() { if (!timer) { poll(); timer = setInterval(poll, 1000); } }
  function stopPolling() { if (timer) { clearInterval(timer); timer = null; } }
  var events = room.getAttribute("data-events");
  if (window.EventSource && events) {
    var source = new EventSource(events);
    source.addEventListener("room", function (ev) {
      stopPolling();
      room.classList.remove("is-offline");
      var a = null;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      render(a);
    });
    // down (the browser retries with Last-Event-ID) or refused for good: poll meanwhile
    source.addEventListener("error", function () { startPolling(); });
    setTimeout(function () { if (source.readyState !== 1) { startPolling(); } }, 3000);
  } else {
    startPolling();
  }
})();
