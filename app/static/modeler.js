/* The analysts' modeler: the bpmn-js Modeler with a small side panel that edits what the
 * runtime reads — the element's name, a user task's form key, a service task's handler,
 * a timer's duration, a lane's role — through bpmn-js commands (so Ctrl+Z undoes them)
 * and never by hand-written XML. 【校验】 and 【发布】 post the diagram to the server and mark
 * each problem on the canvas. A publish that changes a waiting period DOMAIN.md names as a
 * rule is answered with warnings; the dialog lists them and publishes only once ticked;
 * so is one that puts a different process under the key. bpmnlint's recommended rules
 * mark problems live as the analyst draws (bpmn-js-bpmnlint, vendored with its config).
 * 【新建】【导入】【下载】 and the fit that keeps the palette clear are in modeler-file.js.
 * The bpmn.io watermark stays visible: the licence requires it. */
(function () {
  "use strict";

  var root = document.getElementById("modeler");
  if (!root || typeof window.BpmnJS !== "function") {
    return;
  }
  var TEXT = JSON.parse(document.getElementById("modeler-text").textContent);
  var SPIFF = "spiffworkflow:";
  var statusBox = root.querySelector("[data-status]");
  var panel = root.querySelector("[data-panel]");
  var modeler, modeling, moddle, registry, canvas;
  var current = null;      // the element the panel shows
  var dirty = false;       // changed since opened or published
  var xmlSource = root.querySelector("[data-xml-source]");  // the XML view, for keyboards
  var xmlEdited = false;   // the XML view holds the newest edit: send it, not the canvas
  var problems;           // the problem list and its marks (modeler-problems.js)
  var publishDialog = document.getElementById("publish-confirm");
  var confirmations = window.ModelerPublishDialog(publishDialog);
  var labelOffer = null;   // {elementId, old, new}: a timer's name that still says the old duration
  var LINT_TEXT = JSON.parse(document.getElementById("modeler-lint-text").textContent);

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function status(kind, message) {
    statusBox.className = "alert small py-2 alert-" + kind;
    statusBox.textContent = message;
  }

  function buttons(enabled) {
    root.querySelectorAll("[data-action]").forEach(function (button) {
      if (button.getAttribute("data-action") !== "confirm-publish") {
        button.disabled = !enabled;
      }
    });
  }

  /* ---- the diagram's moddle objects ---- */

  function extension(bo, type) {
    var values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
    for (var i = 0; i < values.length; i++) {
      if (values[i].$instanceOf(type)) {
        return values[i];
      }
    }
    return null;
  }

  function ensureExtension(element, type, attrs) {
    var bo = element.businessObject;
    var found = extension(bo, type);
    if (found) {
      return found;
    }
    var container = bo.extensionElements;
    if (!container) {
      container = moddle.create("bpmn:ExtensionElements", { values: [] });
      container.$parent = bo;
      modeling.updateProperties(element, { extensionElements: container });
    }
    var created = moddle.create(type, attrs || {});
    created.$parent = container;
    modeling.updateModdleProperties(element, container, { values: container.get("values").concat([created]) });
    return created;
  }

  function formKeyOf(bo) {
    var props = extension(bo, SPIFF + "Properties");
    var values = props ? props.get("values") : [];
    for (var i = 0; i < values.length; i++) {
      if (values[i].name === "formKey") {
        return values[i];
      }
    }
    return null;
  }

  function setFormKey(element, value) {
    var property = formKeyOf(element.businessObject);
    if (property) {
      modeling.updateModdleProperties(element, property, { value: value });
      return;
    }
    var props = ensureExtension(element, SPIFF + "Properties", { values: [] });
    property = moddle.create(SPIFF + "Property", { name: "formKey", value: value });
    property.$parent = props;
    modeling.updateModdleProperties(element, props, { values: props.get("values").concat([property]) });
  }

  /* 【不使用表单】: the formKey property goes, and its properties element if left empty. */
  function clearFormKey(element) {
    var bo = element.businessObject;
    var property = formKeyOf(bo);
    if (!property) {
      return;
    }
    var props = extension(bo, SPIFF + "Properties");
    var rest = props.get("values").filter(function (value) { return value !== property; });
    if (rest.length) {
      modeling.updateModdleProperties(element, props, { values: rest });
      return;
    }
    var container = bo.extensionElements;
    modeling.updateModdleProperties(element, container, {
      values: container.get("values").filter(function (value) { return value !== props; }) });
  }

  function setHandler(element, value) {
    var operator = extension(element.businessObject, SPIFF + "ServiceTaskOperator");
    if (operator) {
      modeling.updateModdleProperties(element, operator, { id: value });
    } else {
      ensureExtension(element, SPIFF + "ServiceTaskOperator",
                      { id: value, parameters: moddle.create(SPIFF + "Parameters", { values: [] }) });
    }
  }

  function timerOf(bo) {
    var definitions = bo.get ? (bo.get("eventDefinitions") || []) : [];
    for (var i = 0; i < definitions.length; i++) {
      if (definitions[i].$instanceOf("bpmn:TimerEventDefinition")) {
        return definitions[i];
      }
    }
    return null;
  }

  /* The runtime evaluates the duration as Python: a constant is a quoted string. */
  function plainDuration(expression) {
    var match = /^\s*(["'])([^"']*)\1\s*$/.exec(expression || "");
    return match ? match[2] : null;
  }

  function setTimer(element, value) {
    var timer = timerOf(element.businessObject);
    var body = JSON.stringify(value.trim().toUpperCase());
    if (timer.timeDuration) {
      modeling.updateModdleProperties(element, timer.timeDuration, { body: body });
    } else {
      var expression = moddle.create("bpmn:FormalExpression", { body: body });
      expression.$parent = timer;
      modeling.updateModdleProperties(element, timer, { timeDuration: expression, timeDate: undefined,
                                                        timeCycle: undefined });
    }
  }

  function laneOf(element) {
    var lanes = registry.filter(function (e) {
      return e.type === "bpmn:Lane" && (e.businessObject.get("flowNodeRef") || []).indexOf(element.businessObject) >= 0;
    });
    return lanes.length ? lanes[0].businessObject.name || lanes[0].id : null;
  }

  /* ---- the side panel ---- */

  function section(name, visible) {
    panel.querySelector("[data-section='" + name + "']").classList.toggle("d-none", !visible);
  }

  function choose(select, value) {
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    select.querySelectorAll("option[data-unregistered]").forEach(function (o) { o.remove(); });
    if (value && !known) {
      var option = new Option(fill(TEXT.unregistered, { name: value }), value);
      option.setAttribute("data-unregistered", "");
      select.add(option);
    }
    select.value = value || "";
  }

  /* A lane's role as the select offers it ("本人（person）"), or its bare name. */
  function laneLabel(role) {
    var options = panel.querySelector("[data-prop='lane-role']").options;
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === role && !options[i].hasAttribute("data-unregistered")) {
        return options[i].textContent;
      }
    }
    return role;
  }

  /* A lane's name is its role key (the engine resolves it); the canvas shows the role's
   * Chinese name instead. Only the drawing changes: the XML keeps the key. */
  function labelLanes() {
    registry.filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (lane) {
      var key = lane.businessObject.name;
      var text = registry.getGraphics(lane).querySelector(".djs-visual text");
      var label = key ? laneLabel(key) : "";
      if (text && label && label !== key) {
        var line = text.querySelector("tspan") || text;
        line.textContent = label;
        text.setAttribute("data-role-key", key);
      }
    });
  }

  function showPanel(element) {
    current = element && element.type !== "label" ? element : (element && element.labelTarget) || null;
    var is = function (type) { return current && current.businessObject.$instanceOf(type); };
    panel.querySelector("[data-empty]").classList.toggle("d-none", !!current);
    panel.querySelector("[data-field='selected']").textContent = current ? " · " + current.id : "";
    panel.setAttribute("data-selected", current ? current.id : "");
    var bo = current && current.businessObject;
    var isLane = is("bpmn:Lane");
    section("name", !!current && !isLane && !is("bpmn:Process"));
    section("lane-role", isLane);
    section("form-key", is("bpmn:UserTask"));
    section("handler", is("bpmn:ServiceTask"));
    var timer = current && bo.$instanceOf("bpmn:Event") && timerOf(bo);
    section("timer", !!timer);
    var inLane = current && is("bpmn:FlowNode") ? laneOf(current) : null;
    section("lane", !!current && is("bpmn:FlowNode") && !!registry.filter(function (e) { return e.type === "bpmn:Lane"; }).length);
    if (!current) {
      return;
    }
    panel.querySelector("[data-prop='name']").value = bo.name || "";
    panel.querySelector("[data-field='lane']").textContent = inLane ? laneLabel(inLane) : TEXT.noLane;
    if (isLane) {
      choose(panel.querySelector("[data-prop='lane-role']"), bo.name || "");
    }
    if (is("bpmn:UserTask")) {
      var formKey = formKeyOf(bo);
      choose(panel.querySelector("[data-prop='form-key']"), formKey ? formKey.value : "");
    }
    if (is("bpmn:ServiceTask")) {
      var operator = extension(bo, SPIFF + "ServiceTaskOperator");
      choose(panel.querySelector("[data-prop='handler']"), operator ? operator.id : "");
    }
    if (timer) {
      var expression = timer.timeDuration ? timer.timeDuration.body : "";
      var plain = plainDuration(expression);
      panel.querySelector("[data-prop='timer']").value = plain !== null ? plain : "";
      panel.querySelector("[data-timer-computed]").classList.toggle("d-none", plain !== null || !expression);
      panel.querySelector("[data-field='timer-expression']").textContent = expression || "";
    }
    showLabelOffer(timer ? bo : null);
  }

  /* 【更新名称】/【保留】 under the timer, while the name still says the old duration. */
  function showLabelOffer(bo) {
    var box = panel.querySelector("[data-label-offer]");
    var open = !!(bo && labelOffer && labelOffer.elementId === current.id &&
                  (bo.name || "").indexOf(labelOffer.old) >= 0);
    box.classList.toggle("d-none", !open);
    if (open) {
      box.querySelector("[data-label-offer-question]").textContent =
        fill(TEXT.labelOffer, { old: labelOffer.old, new: labelOffer.new });
    }
  }

  function answerLabelOffer(event) {
    var answer = event.target.getAttribute("data-label-offer-answer");
    if (!answer || !current || !labelOffer) {
      return;
    }
    var offer = labelOffer;
    labelOffer = null;
    if (answer === "update") {
      modeling.updateLabel(current, (current.businessObject.name || "").replace(offer.old, offer.new));
    }
    showPanel(current);
  }

  function onPanelChange(event) {
    var prop = event.target.getAttribute("data-prop");
    if (!current || !prop) {
      return;
    }
    var value = event.target.value;
    if (prop === "name") {
      modeling.updateLabel(current, value.trim() || null);
    } else if (prop === "lane-role") {
      modeling.updateProperties(current, { name: value });
    } else if (prop === "form-key") {
      (value ? setFormKey : clearFormKey)(current, value);
    } else if (prop === "handler" && value) {
      setHandler(current, value);
    } else if (prop === "timer" && value.trim()) {
      var timer = timerOf(current.businessObject);
      var before = plainDuration(timer.timeDuration ? timer.timeDuration.body : "");
      setTimer(current, value);
      var offer = window.TimerLabel.offer(current.businessObject.name || "", before, value.trim().toUpperCase());
      labelOffer = offer ? { elementId: current.id, old: offer.old, new: offer.new } : null;
    }
    showPanel(current);
  }

  /* ---- talking to the server ---- */

  function post(url) {  // 422: problems; 409: a rule change to confirm
    var source = xmlEdited ? Promise.resolve({ xml: xmlSource.value }) : modeler.saveXML({ format: true });
    return source.then(function (result) {
      return fetch(url, {
        method: "POST", credentials: "same-origin", body: result.xml,
        headers: { "Content-Type": "application/xml", "X-CSRFToken": root.getAttribute("data-csrf"),
                   "Accept": "application/json" }
      });
    }).then(function (response) {
      if (response.status === 422 || response.status === 409 || response.ok) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }
      throw new Error(response.status >= 400 && response.status < 500 ? "refused" : "network");
    });
  }

  function failed(error) {
    status("danger", error && error.message === "refused" ? TEXT.refused : TEXT.networkError);
  }

  function validate() {
    buttons(false);
    status("secondary", TEXT.validating);
    post(root.getAttribute("data-validate-url")).then(function (reply) {
      var found = reply.body.problems || [];
      var refusals = found.filter(function (p) { return p.severity !== "warning"; }).length;
      problems.mark(found);
      var warnings = reply.body.warnings || [];
      problems.listWarnings(warnings);
      if (reply.body.ok && warnings.length) {
        status("warning", TEXT.validRuleChange);
      } else if (reply.body.ok && found.length) {  // allowed by BPMN, worth a look
        status("warning", fill(TEXT.validWithWarnings, { count: found.length }));
      } else if (reply.body.ok) {
        status("success", TEXT.valid);
      } else {
        status("danger", fill(TEXT.problems, { count: refusals }));
      }
    }).catch(failed).then(function () { buttons(true); });
  }

  function runTests() {
    var box = root.querySelector("[data-tests]");
    var sectionBox = root.querySelector("[data-tests-section]");
    buttons(false);
    status("secondary", TEXT.testsRunning);
    post(root.getAttribute("data-tests-url")).then(function (reply) {
      var body = reply.body;
      box.innerHTML = "";
      if (body.problems && body.problems.length) {
        problems.mark(body.problems);
        status("danger", fill(TEXT.problems, { count: body.problems.length }));
        return;
      }
      if (!body.available || !body.results.length) {
        sectionBox.classList.add("d-none");
        status("info", TEXT.noTests);
        return;
      }
      var passed = body.results.filter(function (r) { return r.passed; }).length;
      body.results.forEach(function (result) {
        var item = document.createElement("li");
        item.className = "list-group-item " + (result.passed ? "list-group-item-success" : "list-group-item-danger");
        item.setAttribute("data-test-case", result.name);
        item.textContent = result.passed ? TEXT.passed + " · " + result.name
          : TEXT.failed + " · " + result.name + (result.message ? "：" + result.message : "") +
            (result.element_id ? "（" + result.element_id + "）" : "");
        box.appendChild(item);
      });
      sectionBox.classList.remove("d-none");
      problems.mark(body.results.filter(function (r) { return !r.passed; }).map(function (r) {
        return { element_id: r.element_id, line: null, message: r.name + (r.message ? "：" + r.message : "") };
      }));
      status(passed === body.results.length ? "success" : "danger",
             fill(TEXT.testsResult, { passed: passed, total: body.results.length }));
    }).catch(failed).then(function () { buttons(true); });
  }

  function publish() {
    var dialog = window.bootstrap.Modal.getOrCreateInstance(publishDialog);
    dialog.hide();
    buttons(false);
    status("secondary", TEXT.publishing);
    post(root.getAttribute("data-deploy-url") + confirmations.query()).then(function (reply) {
      problems.mark(reply.body.problems || []);
      if (reply.status === 409) {  // confirmations still to give; those given stay ticked
        var needed = reply.body.confirmations || {};
        if (needed["rule-change"]) {
          problems.listWarnings(reply.body.warnings || []);
          confirmations.showRuleChanges(reply.body.warnings || []);
        }
        if (needed["replace-process"]) {
          confirmations.showReplace(needed["replace-process"]);
        }
        status("warning", reply.body.message);
        dialog.show();
      } else if (reply.body.ok) {
        confirmations.forget();
        if (xmlEdited) {  // the canvas shows what was published
          modeler.importXML(xmlSource.value).then(function () { labelLanes(); xmlEdited = false; dirty = false; });
        }
        dirty = false;
        status("success", reply.body.message);
        root.setAttribute("data-published-version", reply.body.version);
        root.querySelector("[data-testid='opened-version']").textContent = fill(TEXT.published, { version: reply.body.version });
      } else {
        status("danger", TEXT.notPublished);
      }
    }).catch(failed).then(function () { buttons(true); });
  }

  /* ---- start ---- */

  /* bpmn-js's translate service, so bpmnlint's messages show in the page's language. */
  function translate(template, replacements) {
    var text = LINT_TEXT[template] || template;
    return text.replace(/\{([^}]+)\}/g, function (whole, name) {
      return replacements && name in replacements ? replacements[name] : whole;
    });
  }

  function lintOptions() {  // none if the bpmnlint bundle did not load: the editor still works
    var lint = window.BpmnLint;
    return lint ? { modules: [lint.module], linting: { bpmnlint: lint.config, active: true } }
      : { modules: [], linting: undefined };
  }

  /* ---- 【新建】【导入】【下载】 ---- */

  /* The canvas shows `xml`; what it showed before comes back if bpmn-js cannot draw it. */
  function openDiagram(xml) {
    return modeler.saveXML().then(function (previous) {
      return modeler.importXML(xml).catch(function (error) {
        return modeler.importXML(previous.xml).then(function () { throw error; });
      });
    }).then(function (result) {
      problems.clear();
      confirmations.forget();
      labelOffer = null;
      showPanel(null);
      opened(result);
      xmlEdited = false;
      xmlSource.value = xml;
      dirty = true;  // not published yet
      return result;
    });
  }

  /* A lone process named otherwise (bpmn.io's "Process_1") is renamed to this page's key
   * and made executable: publishing here deploys under the key, and asks first if the
   * process is a different one. Answers the status message. */
  function adoptProcess(fileName) {
    var key = root.getAttribute("data-key");
    var process = canvas.getRootElement();
    var processes = registry.filter(function (e) { return e.type === "bpmn:Process"; });
    var ids = window.ModelerFile.executableProcessIds(xmlSource.value);
    if (ids.indexOf(key) >= 0) {
      return fill(TEXT.imported, { file: fileName });
    }
    if (process.type === "bpmn:Process" && processes.length === 1 &&
        modeler.getDefinitions().get("rootElements").filter(function (r) { return r.$type === "bpmn:Process"; }).length === 1) {
      var found = process.id;
      modeling.updateProperties(process, { id: key, isExecutable: true });
      return fill(TEXT.importedRenamed, { file: fileName, found: found, key: key });
    }
    return fill(TEXT.importedOtherKey, { file: fileName, key: key });
  }

  function importFile(file) {
    if (!file || (dirty && !window.confirm(TEXT.importConfirm))) {
      return;
    }
    buttons(false);
    status("secondary", TEXT.importing);
    window.ModelerFile.read(file, root.getAttribute("data-import-url"), root.getAttribute("data-csrf"))
      .then(function (xml) {
        return openDiagram(xml).then(function (result) {
          var message = adoptProcess(file.name);
          if (!(result.warnings || []).length) {
            status("info", message);
          }
        }, function () {
          status("danger", fill(TEXT.importFailed, { file: file.name, reason: TEXT.importUnreadable }));
        });
      }, function (error) {
        var reason = /^\d+$/.test(error.message) ? TEXT.refused : error.message;
        status("danger", fill(TEXT.importFailed, { file: file.name, reason: reason }));
      }).then(function () { buttons(true); });
  }

  function newDiagram() {
    if (!window.confirm(TEXT.newConfirm)) {
      return;
    }
    var key = root.getAttribute("data-key");
    openDiagram(window.ModelerFile.blank(key, root.getAttribute("data-process-name"), TEXT.startEvent))
      .then(function () { status("info", fill(TEXT.newDiagram, { key: key })); });
  }

  function downloadDiagram() {
    var source = xmlEdited ? Promise.resolve({ xml: xmlSource.value }) : modeler.saveXML({ format: true });
    source.then(function (result) {
      window.ModelerFile.download(result.xml, root.getAttribute("data-key") + ".bpmn");
    });
  }

  /* After any diagram is opened: fitted clear of the palette, lanes named, and what
   * bpmn-js could not read listed. */
  function opened(result) {
    window.ModelerFile.fitClearOfControls(canvas);
    labelLanes();
    var warnings = result.warnings || [];
    if (warnings.length) {  // content bpmn-js could not read would be lost on saving
      status("warning", fill(TEXT.importWarnings, { count: warnings.length }));
      problems.listImportWarnings(warnings);
    }
  }

  function start(descriptor) {
    var lint = lintOptions();
    modeler = new window.BpmnJS({
      container: root.querySelector("[data-canvas]"),
      moddleExtensions: { spiffworkflow: descriptor },
      additionalModules: lint.modules.concat([{ translate: ["value", translate] }]),
      linting: lint.linting
    });
    modeling = modeler.get("modeling");
    moddle = modeler.get("moddle");
    registry = modeler.get("elementRegistry");
    canvas = modeler.get("canvas");
    problems = window.ModelerProblems(modeler, {
      list: root.querySelector("[data-problems]"), empty: root.querySelector("[data-problems-empty]"), text: TEXT });
    modeler.on("selection.changed", function (event) {
      showPanel(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    modeler.on("commandStack.changed", function (event) {
      if (event.trigger === "clear") {  // a diagram was opened, not edited
        return;
      }
      window.setTimeout(labelLanes, 0);  // after bpmn-js has drawn the changed elements
      dirty = true;
      xmlEdited = false;  // the canvas now holds the newest edit
      confirmations.forget();
      if (current && registry.get(current.id)) {
        showPanel(current);
      }
    });
    return fetch(root.getAttribute("data-xml-url"), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    }).then(function (xml) {
      return modeler.importXML(xml);
    }).then(function (result) {
      opened(result);
      buttons(true);
      root.setAttribute("data-ready", "true");
    });
  }

  panel.addEventListener("change", onPanelChange);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      event.target.blur();
    }
  });
  /* The XML view: opened, it shows the diagram as it now is; typed in, it is what is sent. */
  root.querySelector("[data-xml-view]").addEventListener("toggle", function (event) {
    if (event.target.open && !xmlEdited && modeler) {
      modeler.saveXML({ format: true }).then(function (result) { xmlSource.value = result.xml; });
    }
  });
  xmlSource.addEventListener("input", function () {
    xmlEdited = true;
    dirty = true;
    confirmations.forget();
  });

  panel.addEventListener("click", answerLabelOffer);
  var fileInput = root.querySelector("[data-import-file]");
  root.querySelector("[data-action='import']").addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    importFile(fileInput.files[0]);
    fileInput.value = "";  // the same file may be picked again after fixing it
  });
  root.querySelector("[data-action='new']").addEventListener("click", newDiagram);
  root.querySelector("[data-action='download']").addEventListener("click", downloadDiagram);

  var validateButton = root.querySelector("[data-action='validate']");
  if (validateButton) {  // an administrator only looks: no checking or running
    validateButton.addEventListener("click", validate);
    root.querySelector("[data-action='tests']").addEventListener("click", runTests);
  }
  var publishButton = root.querySelector("[data-action='publish']");
  if (publishButton) {
    publishButton.addEventListener("click", function () {
      window.bootstrap.Modal.getOrCreateInstance(publishDialog).show();
    });
    publishDialog.querySelector("[data-action='confirm-publish']").addEventListener("click", publish);
  }
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = TEXT.unsaved;
    }
  });

  fetch(root.getAttribute("data-moddle-url"), { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(start)
    .catch(function () { status("danger", TEXT.loadFailed); });
})();
