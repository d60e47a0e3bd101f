/* Camera QR scanning for 【扫一扫】, 【班前签到】 and 扫码考勤: getUserMedia video →
 * frames drawn on a canvas → jsQR (vendored, app/static/vendor/jsqr) → the decoded
 * text. Nothing is fetched; without a camera the page's manual entry field remains.
 *
 *   QrScan.wire(blockElement, onText)   // a block of templates/onsite/_scanner.html
 *   var stop = QrScan.start(videoElement, onText, onError, messages);
 *
 * `messages` holds the page's (translated) texts: insecure, denied, nocamera, failed.
 */
(function () {
  "use strict";
  var FRAME_MS = 150;      // ~7 decodes a second: fast enough, kind to the battery
  var MAX_WIDTH = 640;     // decode a reduced frame; QR codes on a phone fill the view

  function reason(error, messages) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return messages.denied;
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
      return messages.nocamera;
    }
    return messages.failed;
  }

  function start(video, onText, onError, messages) {
    var stream = null, stopped = false, timer = null;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });

    function stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      video.srcObject = null;
      video.hidden = true;
    }

    function tick() {
      if (stopped) return;
      if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
        var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) {
          stop();
          onText(code.data.trim());
          return;
        }
      }
      timer = setTimeout(tick, FRAME_MS);
    }

    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      onError(messages.insecure);
      return stop;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        if (stopped) { stop(); return; }
        video.setAttribute("playsinline", "");  // iOS: play inside the page, not full screen
        video.muted = true;
        video.srcObject = s;
        video.hidden = false;
        return video.play().then(tick);
      })
      .catch(function (error) {
        stop();
        onError(reason(error, messages));
      });
    return stop;
  }

  /* The translated texts the page put on an element as data-msg-* attributes. */
  function messagesFrom(element) {
    return {
      insecure: element.dataset.msgInsecure, denied: element.dataset.msgDenied,
      nocamera: element.dataset.msgNocamera, failed: element.dataset.msgFailed
    };
  }

  /* Wires a camera block of templates/onsite/_scanner.html: its start and stop
   * buttons, the video, the error line. `onText` receives what was decoded. */
  function wire(block, onText) {
    var video = block.querySelector("video");
    var startButton = block.querySelector("[data-scan-start]");
    var stopButton = block.querySelector("[data-scan-stop]");
    var error = block.querySelector("[data-scan-error]");
    var stop = null;

    function idle() {
      stopButton.hidden = true;
      startButton.disabled = false;
    }
    function begin() {
      error.textContent = "";
      startButton.disabled = true;
      stopButton.hidden = false;
      stop = start(video, function (text) { idle(); onText(text); }, function (message) {
        idle();
        error.textContent = message;
        block.dispatchEvent(new CustomEvent("scan-error", { bubbles: true }));
      }, messagesFrom(block));
    }
    startButton.addEventListener("click", begin);
    stopButton.addEventListener("click", function () { if (stop) stop(); idle(); });
    return { begin: begin, stop: function () { if (stop) stop(); idle(); } };
  }

  window.QrScan = { start: start, messagesFrom: messagesFrom, wire: wire };
})();
