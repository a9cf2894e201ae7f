#!/usr/bin/env bash
# Refresh the vendored PDF.js (npm package pdfjs-dist) under api/static/vendor/pdfjs/.
# The built files are committed, so a fresh clone needs neither node nor the npm registry;
# run this only to change the version:  bash api/static/vendor/refresh_pdfjs.sh [version]
set -euo pipefail
cd "$(dirname "$0")/../../.."
VERSION="${1:-6.5.438}"
TARGET=api/static/vendor/pdfjs
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund "pdfjs-dist@$VERSION" >/dev/null)
SRC="$WORK/node_modules/pdfjs-dist"
rm -rf "$TARGET"
mkdir -p "$TARGET/standard_fonts"
# The library and its worker (minified ES modules), the fonts PDF.js substitutes for the
# 14 standard PDF fonts that PDFs may use without embedding them (Helvetica in our corpus),
# and the licences.
cp "$SRC/build/pdf.min.mjs" "$SRC/build/pdf.worker.min.mjs" "$SRC/LICENSE" "$TARGET/"
cp "$SRC"/standard_fonts/* "$TARGET/standard_fonts/"
node -e 'console.log(require(process.argv[1]).version)' "$SRC/package.json" > "$TARGET/VERSION"
echo "vendored pdfjs-dist $(cat "$TARGET/VERSION") into $TARGET"
