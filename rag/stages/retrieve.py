"""Stage 3: the ranked passages (see rag.retrieval); the top ``top_k`` go to the generator. For a
list or procedure question, with the focused re-read, and the question's focus on the top
passage's document (its words beyond naming that document: rag/retrieval/focus.py) goes to the
answer shapes (rag.stages.shape)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rag.retrieval import Retriever
from rag.shapes import versions
from rag.stages.state import AnswerState


# The kinds of question the focused re-read and the focus are for: a list or steps under their
# own heading in a long document. Other questions do without them: the added section changes the
# refusal gate's evidence (agency_reports: two unanswerable factoid questions answered).
REREAD_KINDS = frozenset({"list", "procedure"})


class Retrieve:
    name = "retrieve"

    def __init__(self, retriever: Retriever, top_k: int,
                 kind: Callable[[AnswerState], str] | None = None) -> None:
        """``kind``: the question's kind (rag.stages.shape.kind_of); None re-reads for all."""
        self._retriever = retriever
        self._top_k = top_k
        self._kind = kind

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.query_vector is not None
        options = state.options
        top_k = options.top_k or self._top_k
        wanted = max(top_k, options.candidates)
        state.release = self._retriever.release_id()
        state.release_date = self._retriever.release_date(state.release)
        release = state.release
        kind = None if self._kind is None else self._kind(state)
        reread = kind is None or kind in REREAD_KINDS
        # "What changed ... between 4.2 and 5.1?": the versions named say which to compare, not
        # what to find (their numbers draw any passage that holds them)
        query = versions.without_versions(state.standalone) if kind == "changes" \
            else state.standalone
        if options.exclude_doc_ids:
            # Over-fetch: the left-out documents may hold many of the nearest chunks.
            found = self._retriever.retrieve(query, state.query_vector,
                                             wanted * 4 + 40, options.filters, release, reread)
            state.retrieved = [p for p in found
                               if p.doc_id not in options.exclude_doc_ids][:wanted]
        else:
            state.retrieved = self._retriever.retrieve(query, state.query_vector,
                                                       wanted, options.filters, release, reread)
        state.passages = state.retrieved[:top_k]
        if state.passages and reread:  # what the list and procedure shapes judge headings by
            state.focus = self._retriever.focus(state.standalone, state.passages[0])
        return ()
