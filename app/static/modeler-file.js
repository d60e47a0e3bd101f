/* The modeler's diagram files: 【新建】's blank executable template, 【导入】 of a .bpmn file
 * from disk (the server reads it in the encoding its XML declaration names), 【下载】 of
 * the diagram as it now is, and a fit of the diagram that leaves the palette and the
 * bpmnlint button clear. Sets window.ModelerFile for modeler.js. */
(function () {
  "use strict";

  var MARGIN = 24;  // px between the diagram and the canvas's edge or controls

  function escapeXml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;" }[c];
    });
  }

  /* A blank diagram the engine can run once built on: one executable process whose id is
   * the key being edited (deploy keeps the key), one start event, drawn (DI included). */
  function blank(key, processName, startName) {
    var id = escapeXml(key), name = escapeXml(processName), start = escapeXml(startName);
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
      '    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
      '    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"',
      '    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
      '    id="Definitions_' + id + '" targetNamespace="http://bpmn.io/schema/bpmn">',
      '  <bpmn:process id="' + id + '" name="' + name + '" isExecutable="true">',
      '    <bpmn:startEvent id="StartEvent_1" name="' + start + '" />',
      '  </bpmn:process>',
      '  <bpmndi:BPMNDiagram id="BPMNDiagram_1">',
      '    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="' + id + '">',
      '      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">',
      '        <dc:Bounds x="180" y="160" width="36" height="36" />',
      '        <bpmndi:BPMNLabel><dc:Bounds x="184" y="203" width="28" height="14" /></bpmndi:BPMNLabel>',
      '      </bpmndi:BPMNShape>',
      '    </bpmndi:BPMNPlane>',
      '  </bpmndi:BPMNDiagram>',
      '</bpmn:definitions>',
      ''
    ].join("\n");
  }

  /* The file's bytes to the server, which answers its text as UTF-8 or says why not. */
  function read(file, url, csrf) {
    return file.arrayBuffer().then(function (bytes) {
      return fetch(url, {
        method: "POST", credentials: "same-origin", body: bytes,
        headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": csrf, "Accept": "application/json" }
      });
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {  // 413 too large, 403, ...: the error page
        throw new Error(String(response.status));
      }
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.message || String(response.status));
        }
        return body.xml;
      });
    });
  }

  /* The executable process's id in a diagram's XML, for saying it differs from the key. */
  function executableProcessIds(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    var processes = doc.getElementsByTagNameNS("http://www.omg.org/spec/BPMN/20100524/MODEL", "process");
    return Array.prototype.filter.call(processes, function (p) {
      return p.getAttribute("isExecutable") === "true";
    }).map(function (p) { return p.getAttribute("id"); });
  }

  function download(xml, fileName) {
    var url = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  /* zoom("fit-viewport") centres the diagram in the whole canvas, so the palette (top
   * left) and the bpmnlint button (bottom left) may cover its first elements. Fit it
   * instead into the part of the canvas right of the palette and above the button. */
  function fitClearOfControls(canvas) {
    canvas.zoom("fit-viewport", "auto");
    var container = canvas.getContainer();
    var box = container.getBoundingClientRect();
    var inner = canvas.viewbox().inner;
    if (!box.width || !box.height || !inner || (!inner.width && !inner.height)) {
      return;
    }
    var palette = container.querySelector(".djs-palette");
    var lintButton = container.querySelector(".bjsl-button");
    var left = palette ? palette.getBoundingClientRect().right - box.left + MARGIN : MARGIN;
    var bottom = lintButton ? box.bottom - lintButton.getBoundingClientRect().top + MARGIN / 2 : MARGIN;
    var width = Math.max(box.width - left - MARGIN, 1);
    var height = Math.max(box.height - MARGIN - bottom, 1);
    var scale = Math.min(1, width / Math.max(inner.width, 1), height / Math.max(inner.height, 1));
    var offsetX = left + (width - inner.width * scale) / 2;
    var offsetY = MARGIN + (height - inner.height * scale) / 2;
    canvas.viewbox({ x: inner.x - offsetX / scale, y: inner.y - offsetY / scale,
                     width: box.width / scale, height: box.height / scale });
  }

  window.ModelerFile = { blank: blank, read: read, download: download, fitClearOfControls: fitClearOfControls,
                         executableProcessIds: executableProcessIds };
})();
