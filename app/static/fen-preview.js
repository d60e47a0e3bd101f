// An amount is shown beside its input as it is typed, grouped and with two decimals
// ("8000.5" → "8,000.50 元"), so that a wage off by a factor of 100 is seen before it is
// submitted. Inputs in 元 (data-unit="yuan", the pages' unit) take at most two decimals;
// inputs in 分 (data-unit="fen") remain for forms that still ask for integer fen.
(function () {
  "use strict";

  function fenOf(text, unit) {
    text = text.replace(/[,，]/g, "");
    if (unit === "fen") return /^\d{1,12}$/.test(text) ? Number(text) : null;
    var match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
  }

  function yuan(fen) {
    var whole = Math.floor(fen / 100).toLocaleString("zh-CN");
    return whole + "." + String(fen % 100).padStart(2, "0");
  }

  document.querySelectorAll("[data-fen-preview]").forEach(function (preview) {
    var input = document.getElementById(preview.dataset.fenPreview);
    if (!input) return;
    function show() {
      var text = input.value.trim();
      var fen = fenOf(text, preview.dataset.unit || "fen");
      if (fen !== null) preview.textContent = preview.dataset.format.replace("{amount}", yuan(fen));
      else preview.textContent = text && preview.dataset.invalid ? preview.dataset.invalid : "";
    }
    input.addEventListener("input", show);
    show();
  });
})();
