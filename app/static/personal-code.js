/* 个人建设码 (templates/worker/code.html): counts the two minutes down and fetches a
 * fresh code from /me/code.json when they are up, or when 【刷新】 is pressed. The
 * deadline is kept as a clock time, so a phone that slept shows the truth on waking. */
(function () {
  "use strict";
  var card = document.querySelector("[data-personal-code]");
  var qr = card.querySelector("[data-qr]");
  var svg = card.querySelector("[data-svg]");
  var left = card.querySelector("[data-seconds-left]");
  var token = card.querySelector("[data-token]");
  var error = card.querySelector("[data-code-error]");
  var announce = card.querySelector("[data-announce]");  // spoken: renewal and expiry only
  var expired = false;
  var deadline = Date.now() + Number(card.dataset.seconds) * 1000;
  var loading = false;
  var retryAt = 0;  // after a failed refresh, wait before trying again on its own

  function show(code) {
    svg.innerHTML = code.svg;  // our own server's SVG, made from the token
    token.textContent = code.token;
    deadline = Date.now() + Number(code.seconds) * 1000;
    qr.classList.remove("expired");
    error.textContent = "";
    expired = false;
    announce.textContent = card.dataset.msgRenewed;
    tick();
  }

  function refresh() {
    if (loading) return;
    loading = true;
    error.textContent = card.dataset.msgRefreshing;
    fetch(card.dataset.url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) throw new Error(json ? "failed" : "login");
        return response.json();
      })
      .then(show)
      .catch(function (problem) {
        error.textContent = problem.message === "login" ? card.dataset.msgLogin : card.dataset.msgFailed;
        retryAt = Date.now() + 10000;
      })
      .finally(function () { loading = false; });
  }

  function tick() {
    var seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    left.textContent = seconds;
    if (seconds === 0) {
      qr.classList.add("expired");
      if (!expired) announce.textContent = card.dataset.msgExpired;
      expired = true;
      if (Date.now() >= retryAt) refresh();
    }
  }

  card.querySelector("[data-refresh]").addEventListener("click", function (event) {
    event.preventDefault();  // without JavaScript the button reloads the page instead
    refresh();
  });
  setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) tick(); });
})();
