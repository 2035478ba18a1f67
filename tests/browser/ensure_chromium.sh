#!/usr/bin/env bash
# Chromium and its driver from Debian's packages (chromium, chromium-driver), installed when
# missing; the browser test (tests/browser/test_notebooks.py) drives them headless.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
echo "   installing Debian's chromium and chromium-driver (apt-get)"
if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
  echo "tests/browser needs chromium and chromium-driver: install them (apt-get install chromium chromium-driver)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
command -v chromium && command -v chromedriver
