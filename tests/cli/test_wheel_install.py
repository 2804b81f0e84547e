"""A normal install runs: the wheel holds every file of the packages, and the `rag` command of a
wheel installed into a fresh venv, run from outside the source tree, ingests and answers.

The development venv's editable install reads data files straight from the tree, so it hides a
file the package leaves out; only a real install shows it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, SUPPORT

PACKAGES = ("cli", "rag", "index", "service", "releases", "eval", "bench", "fitting", "prompts")
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
# Left out of the copy the wheel is built from: build output, venvs, local data (top level only,
# so a package's own folder named e.g. "data" is still copied).
_NOT_SOURCE = {".git", ".venv", "build", "dist", "data", "test-artifacts", ".bench",
               ".pytest_cache", "out"}


def _tracked(*paths: str) -> list[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z", *paths], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in listed.split("\0") if p]


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__" or n.endswith((".egg-info", ".pyc"))}
    if Path(folder).resolve() == ROOT:
        skip |= _NOT_SOURCE & set(names)
    return skip


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built (offline, with the setuptools at hand) from a copy of the tree
    so the build leaves nothing in it."""
    src = tmp_path_factory.mktemp("src") / "rag-service"
    shutil.copytree(ROOT, src, ignore=_ignore)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
          "--no-build-isolation", "--wheel-dir", out, src])
    [built] = out.glob("rag_service-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_packages_and_no_tests(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [p for p in _tracked(*PACKAGES) if p not in names]
    assert not missing, f"files of the packages left out of the wheel: {missing}"
    # every top-level package of the tree is one of PACKAGES (so none is left out of this check)
    in_tree = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert in_tree == set(PACKAGES)
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == set(PACKAGES)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "rag = cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# Run by the installed venv's python: where our modules come from, and every packaged data file
# read through importlib.resources and the loaders that use them.
_PROBE = """
import json, sys
from importlib import resources
import bench.command, cli.main, fitting.calibrate, index, prompts, rag.answerability, rag.prompts
import rag.rerank, releases.gate
import service.routes.pages as pages
from rag.answerability import DEFAULT_WEIGHTS, load_weights
from rag.rerank import DEFAULT_WEIGHTS as RERANK, load_weights as load_rerank
load_weights(DEFAULT_WEIGHTS)
load_rerank(RERANK)
rag.prompts.load_prompts("v1")
assert all(pages.static_file(n).is_file() for n in ("index.html", "widget.js", "viewer.html",
                                                    "pdfjs/pdf.worker.min.mjs"))
assert fitting.calibrate.SAMPLE_QA.is_file()
data = sys.argv[1:]
print(json.dumps({
    "modules": {n: m.__file__ for n, m in sys.modules.items()
                if n.split(".")[0] in %r and getattr(m, "__file__", None)},
    "editable": [n for n in sys.modules if "editable" in n]
                + [repr(f) for f in sys.meta_path if "editable" in repr(f).lower()],
    "missing": [f for f in data
                if not resources.files(f.split("/")[0]).joinpath(f.split("/", 1)[1]).is_file()],
}))
""" % (PACKAGES,)


@pytest.mark.slow
def test_the_installed_wheel_runs_outside_the_source_tree(wheel, tmp_path, corpus_dir):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python, rag = venv / "bin" / "python", venv / "bin" / "rag"
    # pip of this venv, installing into the new one (which holds nothing yet, so nothing else
    # named rag-service is seen or touched)
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
          "--no-index", wheel])
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    assert site.is_relative_to(venv)
    # The dependencies, without downloading them again: this venv's site-packages as a plain path
    # line. site.py only appends such a directory to sys.path; it does not run the .pth files in
    # it, so the editable install's finder (which maps our packages to the tree) stays out.
    ours = sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})
    (site / "zz_dependencies.pth").write_text("\n".join(ours) + "\n")

    guard = tmp_path / "guard"  # the network guard, copied so nothing of the tree is on the path
    guard.mkdir()
    shutil.copy(SUPPORT / "sitecustomize.py", guard)
    netlog = tmp_path / "net.txt"
    netlog.write_text("")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONPATH=str(guard), RAG_NETLOG=str(netlog), RAG_CONFIG=os.environ["RAG_CONFIG"],
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"

    ingested = _run([rag, "--data-dir", data, "ingest", corpus_dir, "--json"],
                    cwd=elsewhere, env=env, timeout=600)
    assert json.loads(ingested.stdout)["added"] == 5
    asked = _run([rag, "--data-dir", data, "ask", NOVEMBER, "--json"], cwd=elsewhere, env=env,
                 timeout=600)
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and "191,000" in answer["answer"]
    assert answer["citations"] and all(c["doc_id"] for c in answer["citations"])

    data_files = [p for p in _tracked(*PACKAGES) if not p.endswith(".py")]
    probe = json.loads(_run([python, "-c", _PROBE, *data_files], cwd=elsewhere, env=env).stdout)
    assert probe["missing"] == []
    assert probe["editable"] == []
    assert {n.split(".")[0] for n in probe["modules"]} == set(PACKAGES)
    outside = {n: f for n, f in probe["modules"].items() if not Path(f).is_relative_to(venv)}
    assert not outside, f"modules not imported from the installed wheel: {outside}"
    assert netlog.read_text() == ""
