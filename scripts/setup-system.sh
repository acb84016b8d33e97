#!/usr/bin/env bash
# System packages the project needs beyond Python: Chromium, which prints the
# packs' PDFs (helpers.pdf drives it over its DevTools pipe) and runs the
# browser and accessibility tests (tests/test_browser.py, with Node.js and
# playwright-core; no browser is ever downloaded); Pango for WeasyPrint, the
# PDF printer used where Chromium is absent; fonts for charts and packs; and
# poppler-utils (pdftoppm) for the PDF tests. Installs only what is missing.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation2 poppler-utils chromium; do
  have "$pkg" || need+=("$pkg")
done
# Node.js and npm: any install will do (a nodejs package that bundles npm counts).
command -v node >/dev/null 2>&1 || have nodejs || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Please install these system packages (Debian/Ubuntu names): ${need[*]}" >&2
    echo "  sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
