"""Encoder backend and precision: chosen per CPU at start-up, explicit values honoured, unknown
or unavailable values refused; the bfloat16 path gives the float32 vectors (cosine >= 0.999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder, choose_encoder, cpu_flags
from index.errors import ConfigError

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
SAPPHIRE = AVX2 | {"avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"}
COOPER = AVX2 | {"avx512f", "avx512_vnni", "avx512_bf16"}
CASCADE = AVX2 | {"avx512f", "avx512_vnni"}  # VNNI, no bfloat16
ALDER = AVX2 | {"avx_vnni"}  # AVX-VNNI without AVX-512
BF16_NO_VNNI = AVX2 | {"avx512_bf16"}  # not a real CPU, but the rule must still be defined


@pytest.mark.parametrize(("flags", "expected"), [
    (AVX2, ("torch", "float32")), (frozenset(), ("torch", "float32")),
    (COOPER, ("torch", "bfloat16")), (SAPPHIRE, ("torch", "bfloat16")),
    (CASCADE, ("torch", "float32")), (ALDER, ("torch", "float32")),
    (BF16_NO_VNNI, ("torch", "bfloat16")), (frozenset({"amx_bf16"}), ("torch", "bfloat16"))])
def test_auto_follows_the_cpu_flags(flags: frozenset[str], expected: tuple[str, str]) -> None:
    assert choose_encoder("auto", "auto", "cpu", flags) == expected


@pytest.mark.parametrize(("backend", "precision", "flags", "expected"), [
    ("torch", "auto", SAPPHIRE, ("torch", "bfloat16")),
    ("torch", "auto", AVX2, ("torch", "float32")),
    ("onnx", "auto", COOPER, ("onnx", "int8")),
    ("onnx", "auto", ALDER, ("onnx", "int8")),
    ("onnx", "auto", AVX2, ("onnx", "float32")),  # int8 is not exact on AVX2 alone
    ("auto", "int8", AVX2, ("onnx", "int8")),  # explicit: honoured even there
    ("auto", "bfloat16", AVX2, ("torch", "bfloat16")),
    ("auto", "float32", SAPPHIRE, ("torch", "float32")),
    ("onnx", "float32", SAPPHIRE, ("onnx", "float32")),
    ("torch", "float32", SAPPHIRE, ("torch", "float32"))])
def test_explicit_values_are_honoured(backend: str, precision: str, flags: frozenset[str],
                                      expected: tuple[str, str]) -> None:
    assert choose_encoder(backend, precision, "cpu", flags) == expected


def test_other_devices_run_torch_float32() -> None:
    assert choose_encoder("auto", "auto", "cuda", SAPPHIRE) == ("torch", "float32")
    assert choose_encoder("torch", "bfloat16", "cuda", AVX2) == ("torch", "bfloat16")
    with pytest.raises(ConfigError, match="CPU only"):
        choose_encoder("onnx", "auto", "cuda", SAPPHIRE)


def test_unknown_or_impossible_choices_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="embedding.precision must be one of"):
        choose_encoder("auto", "int3", "cpu", AVX2)
    with pytest.raises(ConfigError, match="embedding.backend must be one of"):
        choose_encoder("tensorrt", "auto", "cpu", AVX2)
    with pytest.raises(ConfigError, match="'openvino' is not available"):
        choose_encoder("openvino", "auto", "cpu", AVX2)
    with pytest.raises(ConfigError, match="'int8' is not available on backend 'torch'"):
        choose_encoder("torch", "int8", "cpu", SAPPHIRE)
    with pytest.raises(ConfigError, match="'bfloat16' is not available on backend 'onnx'"):
        choose_encoder("onnx", "bfloat16", "cpu", SAPPHIRE)


def test_settings_refuse_an_unknown_precision(tmp_path: Path) -> None:
    from tests.helpers import make_settings

    with pytest.raises(Exception, match="precision"):
        make_settings(tmp_path, embedding={"precision": "fp8"})


def test_cpu_flags_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "avx2", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


@pytest.mark.slow
def test_this_machine_auto_choice_matches_its_flags(tmp_path: Path) -> None:
    from rag.factory import build_embedder
    from tests.helpers import make_settings

    auto = build_embedder(make_settings(tmp_path))  # the settings' default: auto, auto
    assert (auto.backend, auto.precision) == choose_encoder("auto", "auto", "cpu", cpu_flags())


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
