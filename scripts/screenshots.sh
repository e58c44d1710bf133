#!/usr/bin/env bash
# `make screenshots`: every page a person meets, in headless Chromium, on a stack of its own with
# the demo data and a shopper's history: docs/screenshots/<page>.png (desktop, 1280 wide) and
# <page>-phone.png (390 wide) for the shop's main pages.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3
export STATE_DIR=${SCREENSHOTS_STATE_DIR:-$(mktemp -d /tmp/firstcome-screenshots.XXXXXX)}
export HTTP_PORT=${HTTP_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192 LOG_LEVEL=warn
# The order moves on while the pages are taken: shipping and delivery within seconds.
export SHIP_AFTER=2 DELIVER_AFTER=2
# The live view's claim storm logs 160 claimants in from this one address.
export LOGIN_LIMIT_PER_CLIENT=100000 CLAIM_LIMIT_PER_CLIENT=100000
trap './scripts/stack.sh stop >/dev/null 2>&1; [ -n "${SCREENSHOTS_STATE_DIR:-}" ] || rm -rf "$STATE_DIR"' EXIT
./scripts/stack.sh start | grep -E 'running:' || true
"$PY" scripts/screenshots.py "$STATE_DIR" "http://127.0.0.1:$HTTP_PORT" "$ROOT/docs/screenshots"
