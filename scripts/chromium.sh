#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser test (Playwright drives it; no browser is
# ever downloaded by Playwright). Installs it with apt-get only when it is missing; prints its path.
set -euo pipefail

found() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if ! path="$(found)"; then
    echo "chromium: not found; installing it with apt-get" >&2
    sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium >&2
    path="$(found)" || { echo "chromium: ERROR: still missing after apt-get install" >&2; exit 1; }
fi
echo "$path"
