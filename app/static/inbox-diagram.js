/* The task page's process diagram: the bpmn-js NavigatedViewer (read-only, zoom and pan)
 * shows the instance's own definition version with the current task highlighted.
 * The bpmn.io watermark stays visible: the bpmn-js licence requires it. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-diagram-url]");
  if (!panel || typeof window.BpmnJS !== "function") {
    return;
  }
  var canvasBox = panel.querySelector("[data-diagram-canvas]");
  var status = panel.querySelector("[data-diagram-status]");

  function fail() {
    canvasBox.classList.add("d-none");
    status.textContent = panel.getAttribute("data-error-text");
    status.classList.remove("d-none");
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

  var viewer = new window.BpmnJS({ container: canvasBox });
  fetch(panel.getAttribute("data-diagram-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    })
    .then(function (xml) {
      return viewer.importXML(xml);
    })
    .then(function () {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      highlight(viewer, panel.getAttribute("data-current-task"));
      panel.setAttribute("data-diagram-ready", "true");
    })
    .catch(fail);
})();
