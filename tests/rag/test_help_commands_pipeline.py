"""Help pages whose "how" is commands, through the real pipeline (bundled encoder, spaCy, Chroma
in a temp dir): a README's walk-through of introduced commands, a section whose platform
subsections give the command (the passage is grown to them), a figure asked by what it
measures ("how much memory": "8GB"). The page is written here from the unit tests' pages,
modelled on node-gyp's README and Node.js's BUILDING.md."""

from __future__ import annotations

import pytest

from tests.helpers import make_settings
from tests.rag.test_commands import PAGE
from tests.rag.test_procedure_sections import WALK

pytestmark = pytest.mark.slow

# node-gyp's walk-through, a prerequisites list, Node.js's per-platform commands (the pages the
# unit tests of rag.shapes.procedure and rag.shapes.commands read)
README = (WALK + "\n## Prerequisites\n\n* Memory: at least 8GB of RAM is typically required when "
          "compiling with 4 parallel jobs.\n* A C++ compiler.\n\n" + PAGE)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    corpus = tmp_path_factory.mktemp("commands-corpus")
    (corpus / "README.md").write_text(README, encoding="utf-8")
    built = build_pipeline(make_settings(tmp_path_factory.mktemp("commands") / "data"),
                           embedder=embedder)
    assert built.ingest.sync(corpus).failed == {}
    return built


def test_a_walk_through_of_introduced_commands(pipeline):
    answer = pipeline.answers.answer("How do I compile my native addon?")
    assert not answer.refused and answer.shape.kind == "procedure", answer.answer
    lines = answer.answer.splitlines()
    assert lines[:2] == ["To compile your native addon first go to its root directory: [1]",
                         "1. cd my_node_addon [1]"]
    assert "2. node-gyp configure [1]" in lines and lines[-1] == "3. node-gyp build [1]"


def test_platform_subsections_give_the_commands(pipeline):
    answer = pipeline.answers.answer(
        "How do I bundle my own JavaScript file into the binary as a built-in module?")
    assert not answer.refused and answer.shape.kind == "procedure", answer.answer
    lines = answer.answer.splitlines()
    assert lines[0].startswith("It is possible to specify one or more JavaScript text files")
    assert lines[1] == "- Unix/macOS: ./configure --link-module '/root/myModule.js' [1]"
    assert lines[2].startswith("- Windows: .\\vcbuild link-module")
    text = pipeline.store.document_text("README.md")
    for item in answer.shape.items:  # each cited where it stands
        assert " ".join(text[item.start:item.end].split()) == " ".join(item.text.split())


def test_how_much_memory_is_answered_by_a_figure_in_bytes(pipeline):
    answer = pipeline.answers.answer(
        "How much memory is required when compiling with 4 parallel jobs?")
    assert not answer.refused, answer.answer
    assert answer.short_answer is not None and answer.short_answer.text == "8GB"
