/* Loads a process diagram into the bpmn-js NavigatedViewer (read-only, zoom and pan) for
 * the task page and the process monitor: fetch, import, fit, then let the page decorate
 * it; on failure the panel shows its error text. The bpmn.io watermark stays visible:
 * the bpmn-js licence requires it. */
window.showDiagram = function (panel, url, decorate) {
  "use strict";
  var canvasBox = panel.querySelector("[data-diagram-canvas]");
  var status = panel.querySelector("[data-diagram-status]");

  function fail() {
    canvasBox.classList.add("d-none");
    status.textContent = panel.getAttribute("data-error-text");
    status.classList.remove("d-none");
  }

  var viewer = new window.BpmnJS({ container: canvasBox });
  fetch(url, { credentials: "same-origin" })
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
      decorate(viewer);
      panel.setAttribute("data-diagram-ready", "true");
    })
    .catch(fail);
};
