"""Stage 2: the standalone question's vector (the same encoder as the passages)."""

from __future__ import annotations

from collections.abc import Iterable

from index.embedder import Embedder
from rag.stages.state import AnswerState


class Embed:
    name = "embed"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def run(self, state: AnswerState) -> Iterable[str]:
        state.query_vector = self._embedder.embed([state.standalone])[0]
        return ()
