/* The publish dialog's confirmations: a change to a waiting period DOMAIN.md names as a
 * rule (its warnings listed), and a diagram that replaces the key's process (the server's
 * message naming the key). Each shows a tick; 【确认发布】 waits for every tick shown, and
 * the publish sends ?confirm=… for each. A changed diagram forgets them: a confirmation
 * is for the change it was given for. Sets window.ModelerPublishDialog(dialog) →
 * {showRuleChanges, showReplace, query, forget}. */
(function () {
  "use strict";

  window.ModelerPublishDialog = function (dialog) {
    var ruleBox = dialog.querySelector("[data-rule-warnings]");
    var ruleTick = ruleBox && ruleBox.querySelector("[data-rule-confirm]");
    var replaceBox = dialog.querySelector("[data-replace-warning]");
    var replaceTick = replaceBox && replaceBox.querySelector("[data-replace-confirm]");
    var publish = dialog.querySelector("[data-action='confirm-publish']");

    function asked(box) {
      return !!box && !box.classList.contains("d-none");
    }

    function ready() {
      publish.disabled = (asked(ruleBox) && !ruleTick.checked) || (asked(replaceBox) && !replaceTick.checked);
    }

    function showRuleChanges(warnings) {
      if (!ruleBox) {
        return;
      }
      var list = ruleBox.querySelector("[data-rule-warning-list]");
      list.innerHTML = "";
      warnings.forEach(function (warning) {
        var item = document.createElement("li");
        item.textContent = warning.message;
        list.appendChild(item);
      });
      ruleBox.classList.toggle("d-none", !warnings.length);
      ruleTick.checked = false;
      ready();
    }

    function showReplace(message) {
      if (!replaceBox) {
        return;
      }
      replaceBox.querySelector("[data-replace-message]").textContent = message || "";
      replaceBox.classList.toggle("d-none", !message);
      replaceTick.checked = false;
      ready();
    }

    /* "?confirm=rule-change&confirm=replace-process" for the ticks shown and ticked. */
    function query() {
      var given = [];
      if (asked(ruleBox) && ruleTick.checked) {
        given.push("confirm=rule-change");
      }
      if (asked(replaceBox) && replaceTick.checked) {
        given.push("confirm=replace-process");
      }
      return given.length ? "?" + given.join("&") : "";
    }

    function forget() {
      showRuleChanges([]);
      showReplace(null);
    }

    [ruleTick, replaceTick].forEach(function (tick) {
      if (tick) {
        tick.addEventListener("change", ready);
      }
    });
    return { showRuleChanges: showRuleChanges, showReplace: showReplace, query: query, forget: forget };
  };
})();
