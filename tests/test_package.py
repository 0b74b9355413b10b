"""`import llmcourse` has no side effects and stays light; every exported name is documented (hand-written)."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "trl", "datasets", "tiktoken", "matplotlib")

PROBE = """
import json, sys, time, os, io, contextlib
t = time.perf_counter()
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
    import {mod}
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "output": buf.getvalue(), "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def probe(mod, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LLMCOURSE_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(mod=mod, heavy=HEAVY)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, check=True)
    return json.loads(out.stdout), tmp_path


@pytest.mark.parametrize("mod", ["llmcourse", "llmcourse.core", "llmcourse.assets", "llmcourse.cli"])
def test_import_is_light_and_silent(mod, tmp_path):
    res, home = probe(mod, tmp_path)
    assert res["heavy"] == [], f"import {mod} pulled in {res['heavy']}"
    assert res["output"] == "", f"import {mod} printed {res['output']!r}"
    assert not (home / "cache").exists() and list(home.iterdir()) == [], "import created files"
    if mod == "llmcourse":
        assert res["seconds"] < 0.5, f"import llmcourse took {res['seconds']:.2f}s"


def public_defs(path):
    "Top-level public functions and classes of a generated module, with their docstrings."
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, ast.get_docstring(node)


@pytest.mark.parametrize("path", [p for p in sorted((ROOT / "llmcourse").glob("*.py")) if not p.stem.startswith("_")],
                         ids=lambda p: p.name)
def test_every_exported_name_has_a_one_line_docstring(path):
    for name, doc in public_defs(path):
        assert doc, f"{path.name}: {name} has no docstring"
        assert doc.strip().splitlines()[0].strip(), f"{path.name}: {name}'s docstring has no summary line"
