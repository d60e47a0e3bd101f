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
{
  echo "# Vendored front-end files (from the npm registry via scripts/vendor.sh)"
  echo
  for pkg in bootstrap; do
    echo "- $pkg $(node -p "require('./node_modules/$pkg/package.json').version")"
  done
} > "$out/VERSIONS.md"
