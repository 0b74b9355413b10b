#!/usr/bin/env bash
# README command two (and exactly what CI runs, via .ci/run): install everything, then check that the package, the
# tests and the docs are what the notebooks generate, run every notebook (GPU cells in smoke mode) and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
step() { printf '\n=== %s (%ds)\n' "$1" "$SECONDS"; }

step "install"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
python -m pip install -q "torch==2.13.0" 2>&1 | { grep -v "is ignored" || true; }
python -m pip install -q -e ".[dev]" 2>&1 | { grep -v "is ignored" || true; }
if ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium/chromedriver not found and cannot be installed here: the browser checks of the docs will skip"
  fi
fi
# In CI the browser checks must run, not skip.
if [ -n "${CI:-}" ]; then export LLMCOURSE_REQUIRE_BROWSER=1; fi
export LLMCOURSE_SMOKE=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 MPLBACKEND=Agg

step "export and clean change nothing"
nbdev-export
nbdev-clean
drift=$(git status --porcelain -- llmcourse tests nbs)
if [ -n "$drift" ]; then
  echo "The package, tests or notebooks differ from what nbdev-export/nbdev-clean produce:"; echo "$drift"
  git --no-pager diff --stat -- llmcourse tests nbs; exit 1
fi

step "lint: no undefined, redefined or unused names in the package"
ruff check llmcourse --select F821,F811,F401

step "assets"
llmcourse assets fetch

step "notebooks (nbdev-test; GPU cells in smoke mode)"
nbdev-test --flags gpu --timing

step "docs are current"
python tools/build_docs.py --check

step "pytest (exported tests, GPU tests in smoke mode, layering, docs site in a browser)"
pytest -q --flags gpu -p no:cacheprovider

step "benchmarks still run (quick mode)"
python benchmarks/run.py --quick

printf '\nall checks passed in %ds\n' "$SECONDS"
