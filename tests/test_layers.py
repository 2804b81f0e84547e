"""Which package may import which: the import-linter contracts of pyproject.toml
([tool.importlinter], documented in docs/architecture.md) hold, imports inside functions
included, and a planted violation of each rule is reported (so the check cannot pass vacuously)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.helpers import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]
# lint-imports' own entry point, in a subprocess: it puts its working directory first on sys.path,
# so the packages analysed are the ones in `cwd`, not an installed copy.
_LINT = ("import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _LINT], cwd=tree, capture_output=True,
                          text=True, timeout=300)


def test_the_import_contracts_hold():
    done = lint(ROOT)
    assert done.returncode == 0, f"a package imports one it may not:\n{done.stdout}{done.stderr}"
    assert f"{len(CONFIG['contracts'])} kept, 0 broken" in done.stdout


# One planted import per rule, each inside a function (a lazy import is still an import).
VIOLATIONS = {
    "rag": ("service.app", "rag is not allowed to import service"),
    "index": ("rag.types", "index is not allowed to import rag"),
    "service": ("eval.metrics", "service is not allowed to import eval"),
    "releases": ("service.app", "releases is not allowed to import service"),
    "eval": ("releases.gate", "eval is not allowed to import releases"),
    "bench": ("cli.main", "bench is not allowed to import cli"),
    "fitting": ("bench.report", "fitting is not allowed to import bench"),
    "prompts": ("index.errors", "prompts is not allowed to import index"),
}


def test_a_violating_import_is_reported(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert lint(tmp_path).returncode == 0  # the copy alone is clean
    for package, (imported, _) in VIOLATIONS.items():
        (tmp_path / package / "_planted.py").write_text(
            f"def later():\n    import {imported}\n    return {imported}\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert f"0 kept, {len(CONFIG['contracts'])} broken" in done.stdout
    for package, (imported, message) in VIOLATIONS.items():
        assert message in done.stdout, done.stdout
        assert f"{package}._planted -> {imported} (l.2)" in done.stdout, done.stdout


# The benchmarks, the soak (and its Locust, the `bench` extra) and the weight fitting are
# installed, but only their own commands import them: never the `rag` command's entry point, the
# app or the release gate.
_DEFAULT_IMPORTS = ("import sys, cli.main, service.app, releases.gate, releases.policy; "
                    "print(sorted({n.split('.')[0] for n in sys.modules}"
                    " & {'bench', 'fitting', 'locust', 'gevent'}))")


def test_the_product_imports_no_benchmark_soak_or_fitting():
    done = subprocess.run([sys.executable, "-c", _DEFAULT_IMPORTS], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_architecture_notes_state_the_same_layers():
    notes = (ROOT / "docs" / "architecture.md").read_text()
    [layers] = [c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers"]
    assert f"`{' > '.join(layers)}`" in notes
