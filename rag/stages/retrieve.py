"""Stage 3: the ranked passages (see rag.retrieval); the top ``top_k`` go to the generator."""

from __future__ import annotations

from collections.abc import Iterable

from rag.retrieval import Retriever
from rag.stages.state import AnswerState


class Retrieve:
    name = "retrieve"

    def __init__(self, retriever: Retriever, top_k: int) -> None:
        self._retriever = retriever
        self._top_k = top_k

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.query_vector is not None
        options = state.options
        top_k = options.top_k or self._top_k
        wanted = max(top_k, options.candidates)
        state.release = self._retriever.release_id()
        state.release_date = self._retriever.release_date(state.release)
        release = state.release
        if options.exclude_doc_ids:
            # Over-fetch: the left-out documents may hold many of the nearest chunks.
            found = self._retriever.retrieve(state.standalone, state.query_vector,
                                             wanted * 4 + 40, options.filters, release)
            state.retrieved = [p for p in found
                               if p.doc_id not in options.exclude_doc_ids][:wanted]
        else:
            state.retrieved = self._retriever.retrieve(state.standalone, state.query_vector,
                                                       wanted, options.filters, release)
        state.passages = state.retrieved[:top_k]
        return ()
