/* The process monitor's diagrams: the bpmn-js NavigatedViewer (read-only) with
 * completed steps and current steps marked, or a badge per task with how many
 * instances wait there. The bpmn.io watermark stays visible (bpmn-js licence). */
(function () {
  "use strict";

  var panel = document.querySelector("[data-monitor-diagram]");
  if (!panel || typeof window.BpmnJS !== "function") {
    return;
  }
  var canvasBox = panel.querySelector("[data-diagram-canvas]");
  var status = panel.querySelector("[data-diagram-status]");

  function read(name, fallback) {
    try {
      return JSON.parse(panel.getAttribute(name) || "") || fallback;
    } catch (error) {
      return fallback;
    }
  }

  function fail() {
    canvasBox.classList.add("d-none");
    status.textContent = panel.getAttribute("data-error-text");
    status.classList.remove("d-none");
  }

  function mark(viewer) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    read("data-done", []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "monitor-done"); }
    });
    read("data-active", []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "monitor-active"); }
    });
    var counts = read("data-counts", {});
    Object.keys(counts).forEach(function (id) {
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, "monitor-waiting");
      var badge = document.createElement("span");
      badge.className = "badge rounded-pill text-bg-warning monitor-count";
      badge.setAttribute("data-count-for", id);
      badge.textContent = String(counts[id]);
      overlays.add(id, { position: { top: -10, right: 10 }, html: badge });
    });
  }

  var viewer = new window.BpmnJS({ container: canvasBox });
  fetch(panel.getAttribute("data-monitor-diagram"), { credentials: "same-origin" })
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
      mark(viewer);
      panel.setAttribute("data-diagram-ready", "true");
    })
    .catch(fail);
})();
