/* 新增编制 (templates/payroll/home.html): the bank batch list shows only the batches of
 * the chosen pay month, and one of them stays selected. */
(function () {
  "use strict";
  var month = document.getElementById("draft-month"), batch = document.getElementById("draft-batch");
  if (!month || !batch) return;

  function filter() {
    var first = null;
    Array.prototype.forEach.call(batch.options, function (option) {
      option.hidden = option.dataset.month !== month.value;
      if (!option.hidden && first === null) first = option;
    });
    if (batch.selectedOptions[0] && batch.selectedOptions[0].hidden && first) first.selected = true;
  }

  month.addEventListener("change", filter);
  filter();
})();
