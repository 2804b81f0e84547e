#!/usr/bin/env bash
# Refresh the vendored pdf.js (service/static/pdfjs/) from npm: the version pinned in
# scripts/pdfjs/package.json, installed exactly as scripts/pdfjs/package-lock.json records it
# (npm ci checks the tarball's integrity hash). Only a maintainer runs this, to move the pin:
# the built files are committed, so a clone, scripts/setup.sh and the wheel need neither node nor
# the network to serve the PDF viewer (docs/architecture.md, "The PDF viewer").
# Usage: scripts/update-pdfjs.sh            reinstall the locked version and copy its files
#        scripts/update-pdfjs.sh 6.6.0      move the pin (rewrites package.json and the lock)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "update-pdfjs: npm is required" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp scripts/pdfjs/package.json "$work/"
[ -f scripts/pdfjs/package-lock.json ] && cp scripts/pdfjs/package-lock.json "$work/"
if [ -n "${1:-}" ]; then
  npm install --prefix "$work" --save-exact --no-audit --no-fund --ignore-scripts "pdfjs-dist@$1"
  cp "$work/package.json" "$work/package-lock.json" scripts/pdfjs/
else
  npm ci --prefix "$work" --no-audit --no-fund --ignore-scripts
fi
dist="$work/node_modules/pdfjs-dist"
out=service/static/pdfjs
for f in build/pdf.min.mjs build/pdf.worker.min.mjs LICENSE; do
  cp "$dist/$f" "$out/$(basename "$f")"
done
version="$(node -p "require('$dist/package.json').version")"
sed -i "s/^pdf.js version: .*/pdf.js version: $version/" "$out/NOTICE"
(cd "$out" && sha256sum pdf.min.mjs pdf.worker.min.mjs LICENSE > SHA256SUMS)
echo "service/static/pdfjs/: pdf.js $version"
