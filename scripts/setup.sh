#!/usr/bin/env bash
# Idempotent set-up: system packages, a virtualenv in .venv and Reel installed into it.
# Safe to run again; it only does work when something is missing or pyproject changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WITH_TEST="${1:-}"

need_apt=()
command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
if [[ "$WITH_TEST" == "--test" ]]; then
    [[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
fi
if ((${#need_apt[@]})); then
    SUDO=""
    [[ "$(id -u)" == "0" ]] || SUDO="sudo"
    echo "setup: installing system packages: ${need_apt[*]}" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

# The UI's vendored front-end libraries (pinned; a no-op when they are in place).
scripts/fetch_frontend.sh

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$PY" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip >&2
fi

extra=""
[[ "$WITH_TEST" == "--test" ]] && extra="[test]"
stamp=".venv/.reel-installed${extra}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing Python packages${extra:+ (with test extras)}" >&2
    .venv/bin/python -m pip install -q -e ".${extra}" >&2
    touch "$stamp"
fi
