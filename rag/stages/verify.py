"""Stage 7: every sentence of the draft checked against the passages it cites (rag.grounding).

An LLM's draft is replaced by the verified extractive answer when too little of it holds up or
when what holds up answers something else; the model's own refusal is honoured when trusted.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from index.embedder import Embedder
from rag.stages.state import AnswerState
from rag.grounding import CitationVerifier, VerifiedDraft

# How much further from the question than the best evidence sentence an LLM's answer may be.
OFF_TOPIC_MARGIN = 0.2


class Verify:
    name = "verify"

    def __init__(self, verifier: CitationVerifier, embedder: Embedder, *,
                 fallback_share: float, trust_model_refusal: bool) -> None:
        self._verifier = verifier
        self._embedder = embedder
        self._fallback_share = fallback_share
        self._trust_model_refusal = trust_model_refusal

    def run(self, state: AnswerState) -> Iterable[str]:
        draft, evidence = state.draft, state.evidence
        assert draft is not None and evidence is not None
        if draft.refused and self._trust_model_refusal:
            state.refuse()
            return ()
        verified = self._verifier.verify(draft.text, state.passages)
        if draft is not evidence and (not verified.kept
                                      or verified.supported_share < self._fallback_share
                                      or self._off_topic(verified, state)):
            verified, state.fallback = self._verifier.verify(evidence.text, state.passages), True
        state.verified = verified
        return ()

    def _off_topic(self, verified: VerifiedDraft, state: AnswerState) -> bool:
        """Whether an LLM's supported sentences answer something else: none of them comes
        within ``OFF_TOPIC_MARGIN`` of the best evidence sentence's closeness to the question
        (a small model copying a passage's title is supported, but no answer)."""
        assert state.evidence is not None and state.query_vector is not None
        vectors = self._embedder.embed([s.text for s in verified.kept])
        best = float(np.max(vectors @ np.asarray(state.query_vector, dtype=np.float32)))
        return best < state.evidence.support - OFF_TOPIC_MARGIN
