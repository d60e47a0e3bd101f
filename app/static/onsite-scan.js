/* 【扫一扫】 for site staff and sign-in officers (templates/onsite/scan.html): a decoded
 * code goes into the manual field and the form is submitted, exactly as if typed.
 * For 班前签到 the officer's own position is required (both directions are geofenced,
 * DOMAIN §5): the page follows it while 班前签到 is chosen and holds the submission
 * back without one; the server measures it against the project's range. */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var token = form.querySelector("[name='token']");
  var note = form.querySelector("[data-signin-position]");
  var watch = null, located = false;

  QrScan.wire(form.querySelector("[data-scanner]"), function (text) {
    token.value = text;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  form.addEventListener("scan-error", function () { token.focus(); });

  function signin() { return form.elements.purpose.value === "signin"; }

  function setPosition(lng, lat) {
    form.elements.lng.value = lng;
    form.elements.lat.value = lat;
    located = lng !== "";
  }

  function say(text, tone) {
    note.textContent = text;
    note.className = "small text-" + tone;
  }

  function follow() {
    note.hidden = !signin();
    if (!signin()) {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
      setPosition("", "");
      return;
    }
    if (watch !== null) return;
    if (!navigator.geolocation || !window.isSecureContext) { say(note.dataset.msgNone, "danger"); return; }
    say(note.dataset.msgWaiting, "muted");
    watch = navigator.geolocation.watchPosition(function (position) {
      setPosition(position.coords.longitude.toFixed(7), position.coords.latitude.toFixed(7));
      say(note.dataset.msgReady, "success");
    }, function (error) {
      if (error.code !== error.PERMISSION_DENIED && located) return;  // keep the last fix through a timeout
      setPosition("", "");
      say(note.dataset.msgNone, "danger");
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  form.addEventListener("submit", function (event) {
    if (!signin() || located) return;
    event.preventDefault();  // the server would refuse it: say so here, keep the code typed
    say(note.dataset.msgNone, "danger");
    note.scrollIntoView({ behavior: "smooth", block: "center" });
  });
  form.querySelectorAll("[name='purpose']").forEach(function (radio) {
    radio.addEventListener("change", follow);
  });
  follow();
})();
