#!/usr/bin/env bash
# System packages the project needs beyond Python: Pango for WeasyPrint's PDF
# rendering and fonts for charts and packs. Installs only what is missing.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation2 poppler-utils; do
  have "$pkg" || need+=("$pkg")
done
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
