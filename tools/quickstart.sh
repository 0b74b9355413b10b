#!/usr/bin/env bash
# README command one: install the course into .venv, fetch and verify the offline assets, run the main job.
# Needs Python >= 3.11 and pip. Re-running is cheap: pip and the asset cache skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# torch is pinned and installed first: on our CI machines pip finds a local CPU build of exactly this version.
python -m pip install -q "torch==2.13.0" 2>&1 | { grep -v "is ignored" || true; }
python -m pip install -q -e . 2>&1 | { grep -v "is ignored" || true; }
llmcourse speedrun "$@"
