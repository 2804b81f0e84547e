"""Fixtures shared by the answer-layer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_settings

SHAPE_CORPUS = Path(__file__).parent / "shape_corpus"


@pytest.fixture(scope="session")
def shape_pipeline(tmp_path_factory, embedder):
    """The full pipeline over the small help-centre corpus (tests/rag/shape_corpus), indexed
    once for every test that only asks it questions."""
    from rag.factory import build_pipeline

    built = build_pipeline(make_settings(tmp_path_factory.mktemp("shapes") / "data"),
                           embedder=embedder)
    built.ingest.sync(SHAPE_CORPUS)
    return built
