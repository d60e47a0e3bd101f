/* Small behaviours that pages declare with data attributes, so that no template needs an
 * inline script or an on...= handler (the Content-Security-Policy forbids both):
 *   <input type="checkbox" data-pick-all="CSS selector">  ticks or clears every box it selects
 *   <form data-confirm="question">                          asks before submitting
 *   <button data-print>                                     prints the page
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var master = event.target.closest("[data-pick-all]");
    if (!master) return;
    document.querySelectorAll(master.dataset.pickAll).forEach(function (box) {
      box.checked = master.checked;
    });
  });

  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
