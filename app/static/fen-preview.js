// Amounts typed in 分 (fen) are shown in 元 beside the input as they are typed, so that
// a wage entered 100 times too small or too large is seen before it is submitted.
(function () {
  "use strict";

  function yuan(text) {
    if (!/^\d{1,12}$/.test(text)) return null;
    var fen = Number(text);
    var whole = Math.floor(fen / 100).toLocaleString("zh-CN");
    var cents = String(fen % 100).padStart(2, "0");
    return whole + "." + cents;
  }

  document.querySelectorAll("[data-fen-preview]").forEach(function (preview) {
    var input = document.getElementById(preview.dataset.fenPreview);
    if (!input) return;
    function show() {
      var amount = yuan(input.value.trim());
      preview.textContent = amount === null ? "" : preview.dataset.format.replace("{amount}", amount);
    }
    input.addEventListener("input", show);
    show();
  });
})();
