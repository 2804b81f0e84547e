"""The refusal a prompt set says for each reason (rag.prompts.PromptSet.refusal_for): the
period, a document in one version, versions that state nothing different; a set without the
optional templates says the plain refusal. Plain files, no model."""

from __future__ import annotations

import shutil

import pytest

from index.errors import ConfigError
from rag.prompts import PROMPTS_ROOT, load_prompts


def test_each_reason_has_its_refusal():
    prompts = load_prompts("v1")
    assert prompts.refusal_for("period", "2015") == (
        "The documents give no answer for 2015: they speak of the subject, but not of that "
        "period.")
    assert prompts.refusal_for("versions", "Travel policy") == (
        "The documents hold Travel policy in one version only: there is no other version to "
        "compare it with.")
    assert prompts.refusal_for("unchanged", "Travel policy") == (
        "The versions of Travel policy in the documents state nothing different about this.")
    assert prompts.refusal_for("no such reason", "x") == prompts.refusal


def test_a_set_without_the_optional_refusals_says_the_plain_one(tmp_path):
    shutil.copytree(PROMPTS_ROOT / "v1", tmp_path / "mine")
    manifest = tmp_path / "mine" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    for name in ("refusal_versions", "refusal_unchanged"):
        start = text.index(f"[templates.{name}]")
        text = text[:start] + text[text.index("[templates.", start + 1):]
    manifest.write_text(text, encoding="utf-8")
    prompts = load_prompts("mine", tmp_path)
    assert prompts.refusal_for("versions", "Travel policy") == prompts.refusal
    assert prompts.refusal_for("period", "2015").startswith("The documents give no answer")


def test_a_template_whose_variables_differ_from_its_manifest_is_refused(tmp_path):
    shutil.copytree(PROMPTS_ROOT / "v1", tmp_path / "mine")
    (tmp_path / "mine" / "refusal_versions.txt").write_text("No other version of {name}.\n")
    with pytest.raises(ConfigError, match="refusal_versions.txt uses variables"):
        load_prompts("mine", tmp_path)
