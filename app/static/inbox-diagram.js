/* The task page's process diagram: the instance's own definition version with the
 * current task highlighted (loaded by diagram-viewer.js). */
(function () {
  "use strict";

  var panel = document.querySelector("[data-diagram-url]");
  if (!panel || typeof window.BpmnJS !== "function") {
    return;
  }

  function highlight(viewer, elementId) {
    var registry = viewer.get("elementRegistry");
    var element = elementId && registry.get(elementId);
    if (!element) {
      return;
    }
    viewer.get("canvas").addMarker(elementId, "inbox-current-task");
    var shape = registry.getGraphics(element).querySelector(".djs-visual > rect");
    if (shape) {
      shape.style.fill = "#fff3cd";
      shape.style.stroke = "#fd7e14";
      shape.style.strokeWidth = "3px";
    }
  }

  window.showDiagram(panel, panel.getAttribute("data-diagram-url"), function (viewer) {
    highlight(viewer, panel.getAttribute("data-current-task"));
  });
})();
