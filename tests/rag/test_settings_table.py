"""README.md's settings tables are generated from rag/settings/ (scripts/settings_table.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

from rag.settings import RetrievalSettings
from rag.settings.tiers import ADVANCED, tier_of

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "settings_table.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # From another directory: the script must find the checkout by itself.
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT.parent,
                          capture_output=True, text=True, timeout=120)


def test_readme_matches_the_settings():
    result = _run("--check", "--readme", str(ROOT / "README.md"))
    assert result.returncode == 0, result.stderr + "\n(run: python scripts/settings_table.py)"


def test_check_fails_on_a_drifted_copy_and_the_rewrite_restores_it(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    original = readme.read_text(encoding="utf-8")
    row = "| `retrieval.top_k` | `RAG_RETRIEVAL__TOP_K` | `5` |"
    assert row in original
    readme.write_text(original.replace(row, row.replace("`5`", "`6`")), encoding="utf-8")

    drifted = _run("--check", "--readme", str(readme))
    assert drifted.returncode == 1
    assert "differ" in drifted.stderr
    assert readme.read_text(encoding="utf-8") != original  # --check changes nothing

    assert _run("--readme", str(readme)).returncode == 0
    assert readme.read_text(encoding="utf-8") == original
    assert _run("--check", "--readme", str(readme)).returncode == 0


def test_check_fails_without_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# A README without the settings block\n", encoding="utf-8")
    result = _run("--check", "--readme", str(readme))
    assert result.returncode != 0
    assert "settings-table:start" in result.stderr


def test_both_tiers_are_in_the_readme_in_their_own_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    advanced_at = text.index("**Advanced**")
    assert text.index("`RAG_RETRIEVAL__TOP_K`") < advanced_at  # an operator's setting
    assert text.index("`RAG_RETRIEVAL__RRF_K`") > advanced_at  # a fusion constant
    assert tier_of(RetrievalSettings.model_fields["rrf_k"]) == ADVANCED
