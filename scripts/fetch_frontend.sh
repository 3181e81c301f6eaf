#!/usr/bin/env bash
# Vendor the browser UI's third-party libraries at pinned versions (no build step at run time).
# Reel serves src/reel/web/static/ as is; this script only refreshes the copies in vendor/.
# Idempotent: does nothing when the pinned version is already in place (use --force to redo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/src/reel/web/static/vendor"
HLS_VERSION="1.7.4"
STAMP="$VENDOR/hls.version"

if [[ "${1:-}" != "--force" && -f "$VENDOR/hls.min.mjs" && -f "$STAMP" && "$(cat "$STAMP")" == "$HLS_VERSION" ]]; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch_frontend: npm is needed (apt-get install npm)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(
    cd "$TMP"
    npm init -y >/dev/null 2>&1
    npm install --no-audit --no-fund --ignore-scripts --loglevel=error "hls.js@$HLS_VERSION" >&2
)
mkdir -p "$VENDOR"
cp "$TMP/node_modules/hls.js/dist/hls.min.mjs" "$VENDOR/hls.min.mjs"
cp "$TMP/node_modules/hls.js/LICENSE" "$VENDOR/hls.LICENSE"
echo "$HLS_VERSION" >"$STAMP"
echo "fetch_frontend: hls.js $HLS_VERSION -> $VENDOR" >&2
