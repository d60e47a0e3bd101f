/* 【扫一扫】 for site staff and sign-in officers (templates/onsite/scan.html): a decoded
 * code goes into the manual field and the form is submitted, exactly as if typed.
 * For 班前签到 the officer's position is added when the browser gives one (optional:
 * the server measures it against the project's range). */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var token = form.querySelector("[name='token']");
  var note = form.querySelector("[data-signin-position]");
  var watch = null;

  QrScan.wire(form.querySelector("[data-scanner]"), function (text) {
    token.value = text;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  form.addEventListener("scan-error", function () { token.focus(); });

  function setPosition(lng, lat) {
    form.elements.lng.value = lng;
    form.elements.lat.value = lat;
  }

  function follow() {
    var signin = form.elements.purpose.value === "signin";
    note.hidden = !signin;
    if (!signin) {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
      setPosition("", "");
      return;
    }
    if (watch !== null) return;
    if (!navigator.geolocation) { note.textContent = note.dataset.msgNone; return; }
    note.textContent = note.dataset.msgWaiting;
    watch = navigator.geolocation.watchPosition(function (position) {
      setPosition(position.coords.longitude.toFixed(7), position.coords.latitude.toFixed(7));
      note.textContent = note.dataset.msgReady;
    }, function () {
      setPosition("", "");
      note.textContent = note.dataset.msgNone;
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  form.querySelectorAll("[name='purpose']").forEach(function (radio) {
    radio.addEventListener("change", follow);
  });
  follow();
})();
