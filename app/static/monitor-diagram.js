/* The process monitor's diagrams (loaded by diagram-viewer.js) with completed steps and
 * current steps marked, or a badge per task with how many instances wait there. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-monitor-diagram]");
  if (!panel || typeof window.BpmnJS !== "function") {
    return;
  }

  function read(name, fallback) {
    try {
      return JSON.parse(panel.getAttribute(name) || "") || fallback;
    } catch (error) {
      return fallback;
    }
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

  window.showDiagram(panel, panel.getAttribute("data-monitor-diagram"), mark);
})();
