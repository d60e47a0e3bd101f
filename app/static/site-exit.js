/* 确认退场 (templates/site/overview.html): the confirmation says how many people are ticked
 * and names them, so that nobody is exited by a slip; the server then says 退场成功 with the names. */
(function () {
  "use strict";
  var modal = document.getElementById("exit-confirm");
  if (!modal) return;
  modal.addEventListener("show.bs.modal", function () {
    var ticked = document.querySelectorAll("#exit-form input[name='person_ids']:checked");
    var count = modal.querySelector("[data-exit-count]");
    count.textContent = count.dataset.exitCount.replace("__N__", ticked.length);
    var names = Array.prototype.map.call(ticked, function (box) { return box.dataset.name || ""; });
    modal.querySelector("[data-exit-names]").textContent = names.filter(Boolean).join("、");
  });
})();
