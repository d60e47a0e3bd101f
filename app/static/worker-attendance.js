/* 扫码考勤 (templates/worker/attendance.html): the position goes with the scanned
 * 工地建设码; the server finds the project from the code and checks the range. */
(function () {
  "use strict";
  var form = document.getElementById("attendance-form");
  var status = form.querySelector("[data-location-status]");
  var msg = form.dataset;

  function say(text, tone) {
    status.textContent = text;
    status.className = "alert small alert-" + tone;
  }

  QrScan.wire(form.querySelector("[data-scanner]"), function (text) {
    form.elements.site_token.value = text;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  form.addEventListener("scan-error", function () { form.elements.site_token.focus(); });

  if (!navigator.geolocation || !window.isSecureContext) {
    say(msg.msgUnavailable, "danger");
    return;
  }
  say(msg.msgLocating, "secondary");
  navigator.geolocation.watchPosition(function (p) {
    form.elements.lng.value = p.coords.longitude.toFixed(7);
    form.elements.lat.value = p.coords.latitude.toFixed(7);
    say(msg.msgReady, "success");
  }, function (error) {
    if (error.code !== error.PERMISSION_DENIED && form.elements.lng.value) return;
    form.elements.lng.value = form.elements.lat.value = "";
    say(error.code === error.PERMISSION_DENIED ? msg.msgDenied : msg.msgUnavailable, "danger");
  }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
})();
