"""Run the course's side-by-side benchmarks and print one table of ratios.

Each chapter that sets a speed or memory target adds a script `benchmarks/<name>.py` that prints, as its LAST line of
standard output, a JSON list of rows:

    {"benchmark": "bpe_train 1MB vocab 1024", "ours": 2.1, "reference": 0.45, "reference_name": "HF tokenizers",
     "unit": "s", "ratio": 4.67, "target": "<= 10"}

`ratio` is ours / reference (for times and memory: lower is better); `target` is the issue's target for it, as text.
Scripts accept `--quick` (a smaller run, used by CI to keep them working) and must not use the network.

usage: python benchmarks/run.py [NAME ...] [--quick] [--list]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("benchmark", "ours", "reference", "reference_name", "unit", "ratio", "target")


def scripts(names=None):
    "Benchmark scripts in this folder (every .py file except this runner), optionally only the named ones."
    found = {p.stem: p for p in sorted(HERE.glob("*.py")) if p.name != Path(__file__).name and not p.name.startswith("_")}
    unknown = set(names or ()) - set(found)
    if unknown:
        sys.exit(f"unknown benchmark(s) {', '.join(sorted(unknown))}; known: {', '.join(found) or '(none yet)'}")
    return [found[n] for n in names] if names else list(found.values())


def run(script, quick=False):
    "Run one script in a fresh interpreter; return its rows (the JSON list on its last stdout line)."
    cmd = [sys.executable, str(script)] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if out.returncode != 0:
        raise RuntimeError(f"{script.name} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    lines = out.stdout.strip().splitlines()
    rows = json.loads(lines[-1]) if lines else []
    for r in rows:
        r.setdefault("script", script.stem)
    print(f"{script.name}: {len(rows)} rows in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return rows


def table(rows):
    "Plain-text table of benchmark rows; numbers to three significant figures."
    from llmcourse.cli import format_table

    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else ("" if v is None else str(v))
    text = format_table([{c: fmt(r.get(c)) for c in COLUMNS} for r in rows], list(COLUMNS))
    return text if rows else text + "\n(no benchmarks yet)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="benchmark script names (default: all)")
    p.add_argument("--quick", action="store_true", help="small runs, to check the scripts still work")
    p.add_argument("--list", action="store_true", help="only list the benchmark scripts")
    args = p.parse_args(argv)
    found = scripts(args.names)
    if args.list:
        print("benchmarks:", ", ".join(s.stem for s in found) or "(none yet)")
        return 0
    rows = [r for s in found for r in run(s, args.quick)]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
