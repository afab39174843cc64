#!/usr/bin/env bash
# The tools the web tests drive, installed where missing: Debian's Chromium (for the browser
# tests), and in target/test-tools (inside the clone, nothing cached elsewhere) a Python
# virtual environment with playwright and schemathesis, and axe-core from npm.
# The Rust tests call it (once per build directory); .ci/run calls it before them. Prints the
# directory of the tools.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/target/test-tools"
mkdir -p "$tools"
exec 9>"$tools/.lock"
flock 9

if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >&2
    else
        echo "chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
        exit 1
    fi
fi
if [ ! -x "$tools/venv/bin/schemathesis" ] || [ ! -x "$tools/venv/bin/playwright" ]; then
    python3 -m venv "$tools/venv" >&2
    PIP_CACHE_DIR="$tools/pip-cache" "$tools/venv/bin/pip" install -q --disable-pip-version-check \
        'playwright==1.*' 'schemathesis==4.*' >&2
fi
if [ ! -f "$tools/node_modules/axe-core/axe.min.js" ]; then
    npm_config_cache="$tools/npm-cache" npm install -s --no-audit --no-fund --prefix "$tools" 'axe-core@4' >&2
fi
echo "$tools"
