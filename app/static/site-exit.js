/* 确认退场 (templates/site/overview.html): the confirmation says how many people are ticked. */
(function () {
  "use strict";
  var modal = document.getElementById("exit-confirm");
  if (!modal) return;
  modal.addEventListener("show.bs.modal", function () {
    var ticked = document.querySelectorAll("#exit-form input[name='person_ids']:checked").length;
    var count = modal.querySelector("[data-exit-count]");
    count.textContent = count.dataset.exitCount.replace("__N__", ticked);
  });
})();
