"""The generator contract shared by every backend (extractive now; LLM backends plug in here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.types import Passage


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    query_vector: np.ndarray
    passages: Sequence[Passage]  # numbered 1..len(passages) for the markers in a draft


@dataclass(frozen=True)
class Draft:
    """A generator's answer. Markers ``[n]`` refer to ``request.passages[n - 1]``.

    ``support`` is the generator's own measure of how well the passages answer the question
    (for the extractive generator: the best sentence's cosine similarity to the question); the
    relevance gate compares it with the calibrated threshold.
    """

    text: str
    support: float
    refused: bool = False


class Generator(Protocol):
    name: str

    def generate(self, request: GenerationRequest) -> Draft: ...

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Yield pieces of the draft text as they are produced; they concatenate to the text."""
        ...
