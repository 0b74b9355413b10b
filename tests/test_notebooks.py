"""Notebook hygiene, checked over every notebook (hand-written): GPU/slow cells hold no imports, notebooks stay small,
each chapter notebook has the standard skeleton."""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(\w+)(.*)$")


def cells(nb_path):
    for c in json.loads(nb_path.read_text())["cells"]:
        yield c["cell_type"], "".join(c["source"])


def directives(src):
    return {m[1]: m[2].strip() for line in src.splitlines() if (m := DIRECTIVE.match(line))}


def has_import(src):
    code = "\n".join(line for line in src.splitlines() if not DIRECTIVE.match(line))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return bool(re.search(r"^\s*(import|from)\s", code, re.M))
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))


def test_there_are_notebooks():
    assert any(p.name == "index.ipynb" for p in NOTEBOOKS) and len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_flagged_cells_have_no_imports(nb):
    "The docs build executes every cell with an import, whatever its flags: GPU and slow cells must hold none."
    for kind, src in cells(nb):
        flags = directives(src)
        if kind == "code" and ({"gpu", "slow"} & set(flags)):
            assert not has_import(src), f"{nb.name}: a #| gpu/#| slow cell contains an import:\n{src[:300]}"


def test_import_checker_catches_nested_imports():
    assert has_import("#| gpu\nif x:\n    import torch") and not has_import("#| gpu\nprint('import me')")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_small(nb):
    assert nb.stat().st_size < 1_000_000, f"{nb.name} is {nb.stat().st_size / 1e6:.1f} MB: keep only outputs that teach"


@pytest.mark.parametrize("nb", [p for p in NOTEBOOKS if p.name != "index.ipynb"], ids=lambda p: p.name)
def test_chapter_skeleton(nb):
    "First cell names the module; a title and a subtitle; a closing 'What we exported' section."
    cs = list(cells(nb))
    assert cs[0][0] == "code" and "default_exp" in directives(cs[0][1]), f"{nb.name}: first cell must be #| default_exp"
    md = [src for kind, src in cs if kind == "markdown"]
    assert any(re.search(r"^# .+\n+> .+", s, re.M) for s in md), f"{nb.name}: needs an H1 title and a '> ' subtitle"
    assert re.search(r"^## What we exported", md[-1], re.M), f"{nb.name}: the last markdown cell lists what it exports"


def imports_only(src):
    code = "\n".join(line for line in src.splitlines() if not DIRECTIVE.match(line))
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_live_in_their_own_cells(nb):
    "The docs build runs every cell that imports something, without the demo cells before it: keep imports apart."
    for kind, src in cells(nb):
        flags = set(directives(src))
        if kind != "code" or flags & {"export", "exports", "exporti", "test", "test_setup", "hide", "gpu", "slow"}:
            continue
        assert not has_import(src) or imports_only(src), f"{nb.name}: a demo cell mixes imports and code:\n{src[:300]}"
