"""Encoder precision and backend: chosen per CPU at start-up, explicit values honoured, unknown
or unavailable values refused; the bfloat16 path gives the float32 vectors (cosine >= 0.999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import (BF16_FLAGS, SentenceTransformerEmbedder, choose_backend,
                            choose_precision, cpu_flags)
from index.errors import ConfigError

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
SAPPHIRE = AVX2 | {"avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile"}
COOPER = AVX2 | {"avx512f", "avx512_bf16"}


@pytest.mark.parametrize(("flags", "expected"), [
    (AVX2, "float32"), (COOPER, "bfloat16"), (SAPPHIRE, "bfloat16"), (frozenset(), "float32"),
    (frozenset({"amx_bf16"}), "bfloat16")])
def test_auto_follows_the_cpu_flags(flags: frozenset[str], expected: str) -> None:
    assert choose_precision("auto", "cpu", flags) == expected


def test_explicit_precision_is_honoured_whatever_the_cpu() -> None:
    assert choose_precision("float32", "cpu", SAPPHIRE) == "float32"
    assert choose_precision("bfloat16", "cpu", AVX2) == "bfloat16"
    assert choose_precision("auto", "cuda", SAPPHIRE) == "float32"


def test_unknown_precision_and_unavailable_backend_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="embedding.precision must be one of"):
        choose_precision("int3", "cpu", AVX2)
    with pytest.raises(ConfigError, match="embedding.backend must be one of"):
        choose_backend("tensorrt")
    with pytest.raises(ConfigError, match="'onnx' is not available"):
        choose_backend("onnx")
    assert choose_backend("auto") == choose_backend("torch") == "torch"


def test_settings_refuse_an_unknown_precision(tmp_path: Path) -> None:
    from tests.helpers import make_settings

    with pytest.raises(Exception, match="precision"):
        make_settings(tmp_path, embedding={"precision": "fp8"})


def test_cpu_flags_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "avx2", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_this_machine_auto_choice_matches_its_flags(embedder) -> None:
    auto = SentenceTransformerEmbedder("all-MiniLM-L6-v2", precision="auto")
    assert auto.precision == ("bfloat16" if cpu_flags() & BF16_FLAGS else "float32")


SAMPLES = [
    "What is the incubation period of SARS-CoV-2?",
    "The spike protein of the coronavirus binds the ACE2 receptor on human cells.",
    "Border Patrol agents apprehended more than 191,000 migrants in November.",
    "In a randomised trial of 1,200 patients, dexamethasone reduced 28-day mortality among "
    "those receiving invasive mechanical ventilation, but not among patients who needed no "
    "respiratory support at randomisation. " * 3,
    "a",
    "Ölpreise stiegen am Montag; la réunion a été reportée à jeudi.",
]


def test_bfloat16_vectors_match_float32(embedder) -> None:
    bf16 = SentenceTransformerEmbedder("all-MiniLM-L6-v2", precision="bfloat16")
    assert embedder.precision == "float32"
    a, b = embedder.embed(SAMPLES), bf16.embed(SAMPLES)
    assert b.dtype == np.float32 and b.shape == a.shape
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # The same path serves queries: one text alone gives its batched vector.
    assert float(bf16.embed([SAMPLES[0]])[0] @ a[0]) >= 0.999


def test_chunker_tokenizer_does_not_wait_for_the_encoder(embedder) -> None:
    """Chunking (tokenize) runs while an encode holds the encoder lock: ingest overlaps them."""
    with embedder._lock:
        assert embedder.tokenize("Overlapping work") == ["overlapping", "work"]
