/* 【班前签到】 on the worker's phone (templates/worker/signin.html). The browser's
 * position (WGS-84) is measured against the project's point (WGS-84, sent by the
 * server) only to enable the green button; the server measures again on submit.
 * 签到 opens the scanner for the officer's code; the manual field is the fallback. */
(function () {
  "use strict";
  var form = document.getElementById("signin-form");
  var projects = JSON.parse(document.getElementById("signin-projects").textContent);
  var status = form.querySelector("[data-location-status]");
  var button = form.querySelector("[data-signin-start]");
  var panel = form.querySelector("[data-scan-panel]");
  var token = form.elements.officer_token;
  var msg = form.dataset;
  var position = null, problem = null;
  // Back from the server after a refused code: the panel opens again with the focus in the
  // code field once the position allows signing in, so the worker can try again at once.
  var retry = !!document.querySelector("main .alert-danger");

  var scanner = QrScan.wire(panel.querySelector("[data-scanner]"), function (text) {
    token.value = text;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  panel.addEventListener("scan-error", function () { token.focus(); });

  function distanceM(lng1, lat1, lng2, lat2) {  // haversine, as app/services/geo.py
    var rad = Math.PI / 180, R = 6371008.8;
    var h = Math.pow(Math.sin((lat2 - lat1) * rad / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin((lng2 - lng1) * rad / 2), 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function project() {
    var id = Number(form.elements.project_id.value);
    return projects.filter(function (p) { return p.id === id; })[0];
  }

  function say(text, tone) {
    status.textContent = text;
    status.className = "alert small alert-" + tone;
  }

  var signedBox = form.querySelector("[data-signed-today]");

  // Signed in today on this project: say so, and no second 签到 (the server would return the first).
  function showSigned(p) {
    var signed = !!(p && p.signed_at);
    signedBox.hidden = !signed;
    if (signed) {
      signedBox.querySelector("[data-signed-detail]").textContent =
        msg.msgSignedDetail.replace("{p}", p.name).replace("{t}", p.signed_at);
    }
    button.textContent = signed ? msg.labelSigned : msg.labelStart;
    return signed;
  }

  function update() {
    var p = project(), inside = false;
    var signed = showSigned(p);
    status.hidden = signed;
    if (signed) {
      button.disabled = true;
      if (!panel.hidden) { scanner.stop(); panel.hidden = true; }
      return;
    }
    if (!p || !p.has_point) say(msg.msgNoPoint, "warning");
    else if (problem) say(problem, "danger");
    else if (!position) say(msg.msgLocating, "secondary");
    else {
      var d = Math.round(distanceM(position.lng, position.lat, p.lng, p.lat));
      inside = d <= p.radius;
      if (inside) say(msg.msgInside.replace("{d}", d), "success");
      else say(msg.msgOutside.replace("{d}", d).replace("{r}", p.radius), "danger");
    }
    button.disabled = !inside;
    if (!inside && !panel.hidden) { scanner.stop(); panel.hidden = true; }
    if (inside && retry) { retry = false; panel.hidden = false; token.focus(); }
  }

  button.addEventListener("click", function () {
    panel.hidden = false;
    panel.scrollIntoView({ behavior: "smooth", block: "start" });
    scanner.begin();
  });
  if (form.elements.project_id.tagName === "SELECT") form.elements.project_id.addEventListener("change", update);

  if (!navigator.geolocation || !window.isSecureContext) {
    problem = msg.msgUnsupported;
  } else {
    navigator.geolocation.watchPosition(function (p) {
      position = { lng: p.coords.longitude, lat: p.coords.latitude };
      form.elements.lng.value = position.lng.toFixed(7);
      form.elements.lat.value = position.lat.toFixed(7);
      problem = null;
      update();
    }, function (error) {
      if (error.code !== error.PERMISSION_DENIED && position) return;  // keep the last fix through a timeout
      position = null;
      form.elements.lng.value = form.elements.lat.value = "";
      problem = error.code === error.PERMISSION_DENIED ? msg.msgDenied : msg.msgUnavailable;
      update();
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }
  update();
})();
