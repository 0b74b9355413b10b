"""The benchmark runner collects the rows a benchmark script prints and tabulates them (hand-written)."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_runner_collects_rows_and_tabulates(tmp_path):
    rows = [{"benchmark": "toy", "ours": 2.0, "reference": 1.0, "reference_name": "ref", "unit": "s", "ratio": 2.0}]
    script = tmp_path / "toy.py"
    script.write_text(f"import json, sys\nprint('log line')\nprint(json.dumps({rows!r} if '--quick' in sys.argv else []))\n")
    got = bench.run(script, quick=True)
    assert got == [{**rows[0], "script": "toy"}] and bench.run(script) == []
    lines = bench.table(got).splitlines()
    assert lines[0].split() == list(bench.COLUMNS) and lines[2].split()[:3] == ["toy", "2", "1"]
    assert "(no benchmarks yet)" in bench.table([])


def test_runner_reports_failures(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("raise SystemExit('boom')\n")
    with pytest.raises(RuntimeError, match="bad.py failed"):
        bench.run(script)


def test_every_benchmark_script_is_listed():
    assert all(p.suffix == ".py" for p in bench.scripts())
