import pytest

from index.errors import ConfigError
from rag.settings import load_settings


def test_env_and_toml(monkeypatch, tmp_path):
    """Both tiers alike: an advanced setting (rrf_k, min_dense_support) keeps its TOML key and
    RAG_* variable (the tier is metadata only)."""
    toml = tmp_path / "rag.toml"
    toml.write_text('data_dir = "/srv/rag"\n[retrieval]\ntop_k = 7\nrrf_k = 30\n'
                    '[chunking]\nchunk_size = 180\n')
    monkeypatch.setenv("RAG_CONFIG", str(toml))
    monkeypatch.setenv("RAG_RETRIEVAL__TOP_K", "9")
    monkeypatch.setenv("RAG_GENERATOR__MIN_DENSE_SUPPORT", "0.6")
    s = load_settings()
    assert str(s.data_dir) == "/srv/rag"
    assert s.retrieval.top_k == 9  # environment beats the file
    assert s.chunking.chunk_size == 180
    assert s.retrieval.rrf_k == 30
    assert s.generator.min_dense_support == 0.6


def test_invalid_values_say_what_is_wrong(monkeypatch):
    monkeypatch.setenv("RAG_CHUNKING__CHUNK_OVERLAP", "500")
    with pytest.raises(ConfigError, match="chunk_overlap"):
        load_settings()
    monkeypatch.delenv("RAG_CHUNKING__CHUNK_OVERLAP")
    with pytest.raises(ConfigError, match="store.collection"):
        load_settings(store={"collection": "x"})
    with pytest.raises(ConfigError, match="generator.name"):
        load_settings(generator={"name": "gpt-9"})
    with pytest.raises(ConfigError, match="retrieval.rrf_k"):
        load_settings(retrieval={"rrf_k": 0})


def test_missing_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()
