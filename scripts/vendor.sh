#!/usr/bin/env bash
# Copies the front-end files the pages use from node_modules into app/static/vendor
# and records their versions. Run after changing package.json; the copies are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --silent
out=app/static/vendor
rm -rf "$out" && mkdir -p "$out/bootstrap"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/"
cp node_modules/bootstrap/LICENSE "$out/bootstrap/LICENSE"
# bpmn-js: the read-only viewer (zoom and pan) for the inbox's process diagram, the
# modeler for the analysts' editor, their stylesheets and the bpmn font. Its licence
# requires the bpmn.io watermark to stay visible.
bpmn=node_modules/bpmn-js
mkdir -p "$out/bpmn-js"
cp "$bpmn/dist/bpmn-navigated-viewer.production.min.js" "$out/bpmn-js/"
cp "$bpmn/dist/bpmn-modeler.production.min.js" "$out/bpmn-js/"
cp "$bpmn/dist/assets/bpmn-js.css" "$bpmn/dist/assets/diagram-js.css" "$out/bpmn-js/"
cp -r "$bpmn/dist/assets/bpmn-font" "$out/bpmn-js/bpmn-font"
cp "$bpmn/LICENSE" "$out/bpmn-js/LICENSE"
# bpmnlint in the modeler: bpmn-js-bpmnlint's module and the rules .bpmnlintrc names (the
# rules CI runs over processes/), packed and bundled into one IIFE that sets
# window.BpmnLint = {module, config}; the page hands both to the Modeler. Built here, not
# at run time: the browser loads only this file.
lint="$out/bpmnlint"
mkdir -p "$lint"
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
npx --no-install bpmnlint-pack-config -c .bpmnlintrc -o "$packed/config.js" -t es
echo "import module from 'bpmn-js-bpmnlint'; import config from '$packed/config.js';
window.BpmnLint = { module: module, config: config };" |
  npx --no-install esbuild --bundle --format=iife --minify --legal-comments=eof --target=es2019 \
    --sourcefile=bpmnlint-entry.js --outfile="$lint/bpmnlint.min.js" --log-level=warning
cp node_modules/bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css "$lint/"
cp node_modules/bpmn-js-bpmnlint/LICENSE "$lint/LICENSE"
cp node_modules/bpmnlint/LICENSE "$lint/LICENSE.bpmnlint"
# jsQR: decodes QR codes from camera frames on the 【扫一扫】 and 【班前签到】 pages.
mkdir -p "$out/jsqr"
cp node_modules/jsqr/dist/jsQR.js "$out/jsqr/"
cp node_modules/jsqr/LICENSE "$out/jsqr/LICENSE"
# axe-core: the accessibility checker the browser tests inject into every page they crawl.
# Tests only, so it lives beside them and is never served by the app.
axe=tests/support/axe-core
rm -rf "$axe" && mkdir -p "$axe"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$axe/"
{
  echo "# Vendored front-end files (from the npm registry via scripts/vendor.sh)"
  echo
  for pkg in bootstrap bpmn-js jsqr; do
    echo "- $pkg $(node -p "require('./node_modules/$pkg/package.json').version")"
  done
  echo "- bpmnlint/bpmnlint.min.js: bpmn-js-bpmnlint $(node -p "require('./node_modules/bpmn-js-bpmnlint/package.json').version")," \
       "bpmnlint $(node -p "require('./node_modules/bpmnlint/package.json').version") with the rules of .bpmnlintrc" \
       "(packed by bpmnlint-pack-config $(node -p "require('./node_modules/bpmnlint-pack-config/package.json').version")," \
       "bundled by esbuild $(node -p "require('./node_modules/esbuild/package.json').version"))"
  echo "- axe-core $(node -p "require('./node_modules/axe-core/package.json').version") (tests only: tests/support/axe-core)"
} > "$out/VERSIONS.md"
