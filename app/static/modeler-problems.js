/* The modeler's problem list and its marks on the canvas: each problem the server named
 * (errors in red, warnings in yellow) listed with its element and line, the element
 * outlined and badged; a click on the item shows the element. Also the rule-period
 * warnings and what bpmn-js could not read of an opened file. Sets
 * window.ModelerProblems(modeler, page) → {mark, clear, listWarnings, listImportWarnings}. */
(function () {
  "use strict";

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  window.ModelerProblems = function (modeler, page) {
    var canvas = modeler.get("canvas"), overlays = modeler.get("overlays");
    var registry = modeler.get("elementRegistry"), selection = modeler.get("selection");
    var list = page.list, empty = page.empty, TEXT = page.text;
    var marked = [];  // element ids marked with a problem

    function shapeFor(id) {
      return id ? registry.get(id) : null;
    }

    function showOnClick(item, shape) {
      item.classList.add("list-group-item-action");
      item.style.cursor = "pointer";
      item.addEventListener("click", function () {
        selection.select(shape);
        canvas.scrollToElement(shape);
      });
    }

    function clear() {
      marked.forEach(function (id) {
        canvas.removeMarker(id, "modeler-problem");
        canvas.removeMarker(id, "modeler-warning");
      });
      overlays.remove({ type: "modeler-problem" });
      marked = [];
      list.innerHTML = "";
    }

    function mark(problems) {
      clear();
      empty.textContent = TEXT.noProblems;
      empty.classList.toggle("d-none", problems.length > 0);
      problems.forEach(function (problem) {
        var warning = problem.severity === "warning";
        var shape = shapeFor(problem.element_id);
        var item = document.createElement("li");
        item.className = "list-group-item " + (warning ? "list-group-item-warning" : "list-group-item-danger");
        item.setAttribute(warning ? "data-problem-warning" : "data-problem", problem.element_id || "");
        var where = document.createElement("strong");
        where.textContent = (problem.element_id || TEXT.wholeDiagram) +
          (problem.line ? " · " + fill(TEXT.line, { line: problem.line }) : "") + "：";
        item.appendChild(where);
        item.appendChild(document.createTextNode(problem.message));
        list.appendChild(item);
        if (!shape) {
          return;
        }
        canvas.addMarker(shape.id, warning ? "modeler-warning" : "modeler-problem");
        marked.push(shape.id);
        var badge = document.createElement("div");
        badge.className = warning ? "modeler-problem-badge modeler-warning-badge" : "modeler-problem-badge";
        badge.textContent = "!";
        badge.title = problem.message;
        badge.setAttribute(warning ? "data-warning-marker" : "data-problem-marker", shape.id);
        overlays.add(shape.id, "modeler-problem", { position: { top: -10, right: 10 }, html: badge });
        showOnClick(item, shape);
      });
    }

    /* Warnings (a changed rule period) under the problems; a click shows the timer. */
    function listWarnings(warnings) {
      empty.classList.toggle("d-none", warnings.length > 0 || list.children.length > 0);
      warnings.forEach(function (warning) {
        var item = document.createElement("li");
        item.className = "list-group-item list-group-item-warning list-group-item-action";
        item.setAttribute("data-warning", warning.element_id || "");
        item.textContent = warning.message;
        var shape = shapeFor(warning.element_id);
        if (shape) {
          showOnClick(item, shape);
        }
        list.appendChild(item);
      });
    }

    /* Content the modeler could not read would be lost on saving: listed before publishing. */
    function listImportWarnings(warnings) {
      empty.classList.add("d-none");
      warnings.forEach(function (warning) {
        var item = document.createElement("li");
        item.className = "list-group-item list-group-item-warning";
        item.textContent = String(warning.message || warning).split("\n")[0];
        list.appendChild(item);
      });
    }

    return { mark: mark, clear: clear, listWarnings: listWarnings, listImportWarnings: listImportWarnings };
  };
})();
