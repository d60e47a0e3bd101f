/* Form errors for screen readers and keyboards (every page, from base.html). A control the
 * server marked .is-invalid gets aria-invalid and aria-describedby pointing at its error
 * text (the _macros.html field macro writes them itself; hand-written fields get them
 * here), and after a failed submit the focus goes to the first invalid field (or to the
 * flashed error when no field is marked), so the error is read out at once instead of the
 * focus falling back to the page's start. */
(function () {
  "use strict";
  var count = 0;

  function feedbackOf(control) {
    var box = control.closest(".mb-3, .col, [class*='col-'], td, .input-group, .form-check") || control.parentElement;
    var found = box ? box.querySelectorAll(".invalid-feedback") : [];
    if (!found.length && control.parentElement && control.parentElement.classList.contains("input-group")) {
      found = control.parentElement.parentElement.querySelectorAll(".invalid-feedback");
    }
    return found;
  }

  var invalid = document.querySelectorAll("main .is-invalid");
  Array.prototype.forEach.call(invalid, function (control) {
    control.setAttribute("aria-invalid", "true");
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    Array.prototype.forEach.call(feedbackOf(control), function (feedback) {
      if (!feedback.id) feedback.id = "form-error-" + (++count);
      if (ids.indexOf(feedback.id) < 0) ids.push(feedback.id);
    });
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
  });

  var first = Array.prototype.find.call(invalid, function (control) {
    return control.offsetParent !== null && !control.disabled;  // visible: not in a closed dialog
  });
  // No marked field (the refusal came back as a flashed message): focus the message.
  var summary = first || document.querySelector("main .alert-danger[role='alert']");
  if (!summary) return;
  if (!first) summary.setAttribute("tabindex", "-1");
  summary.focus();
})();
