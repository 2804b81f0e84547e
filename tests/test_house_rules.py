"""The size rules of the house (docs/architecture.md): no shipped module over 500 lines, no function
over 60 lines except argument parsers (a parser is a list of options, read top to bottom).

A module that grows past the bound is a module doing two things; the failure names it and its size.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
# Folders of code (tests are held to their own needs: a scenario test reads best whole).
CODE = ("cli", "rag", "index", "service", "eval", "releases", "bench", "fitting", "prompts",
        "scripts")


def _modules() -> list[Path]:
    return sorted(p for top in CODE if (ROOT / top).is_dir()
                  for p in (ROOT / top).rglob("*.py"))


def _is_parser(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An argument parser: named so, and mostly ``add_argument``/``add_parser`` calls."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)
             and n.func.attr in {"add_argument", "add_parser", "add_mutually_exclusive_group",
                                 "add_subparsers", "set_defaults"}]
    return "parser" in node.name and len(calls) * 3 >= (node.end_lineno or 0) - node.lineno


def long_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > MAX_FUNCTION_LINES and not _is_parser(node):
                out.append((node.name, size))
    return out


def test_the_code_folders_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"rag/factory.py", "index/chunking.py", "cli/main.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_and_function_sizes(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
    assert not long_functions(path), (
        f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: "
        f"{long_functions(path)}")


def test_the_rule_bites(tmp_path: Path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long = tmp_path / "long.py"
    long.write_text(f"def too_long():\n{body}\n")
    assert long_functions(long) == [("too_long", MAX_FUNCTION_LINES + 1)]
    short = tmp_path / "short.py"
    short.write_text("def fine():\n    return 1\n")
    assert long_functions(short) == []
