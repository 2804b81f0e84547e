"""AnswerService: the one path from a question to a cited answer (CLI, HTTP and eval use it).

The steps, for ``answer`` and ``stream`` alike:

1. a follow-up is rewritten into a standalone question from the history (``rag.conversation``);
2. the standalone question is embedded and passages retrieved;
3. the extractive generator scores the passages' sentences against the question; the refusal
   gate (``rag.answerability``) scores that evidence and refuses below its threshold (refusal
   happens here, before any LLM is called); the extractive answer is the fallback for LLM
   backends;
4. the configured generator drafts the answer (an LLM streams tokens as it produces them); an LLM
   reply that is the refusal text is honoured when ``generator.trust_model_refusal`` is set;
5. citation verification checks every sentence against the passages it cites (``rag.verify``);
   when less than ``generator.fallback_share`` of an LLM's sentences hold up, the verified
   extractive answer replaces it;
6. each citation gets its supporting spans as document offsets (``rag.spans``) and the markers
   are renumbered (``rag.citations``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedder import Embedder
from index.errors import InputError
from rag.answerability import RefusalGate, ThresholdGate
from rag.citations import assemble
from rag.conversation import Condenser, RuleCondenser
from rag.generators.base import Draft, GenerationRequest, Generator
from rag.generators.extractive import ExtractiveGenerator, ScoredSentence
from rag.prompts import PromptSet
from rag.retrieval import Retriever
from rag.spans import SpanLocator
from rag.text import text_problem
from rag.types import Answer, AskOptions, Passage, Span, Turn, Verification
from rag.verify import CitationVerifier, VerifiedDraft


# How much further from the question than the best evidence sentence an LLM's answer may be.
OFF_TOPIC_MARGIN = 0.2


@dataclass(frozen=True)
class StreamDelta:
    text: str


@dataclass(frozen=True)
class StreamDone:
    answer: Answer


StreamEvent = StreamDelta | StreamDone


@dataclass
class Evidence:
    """What steps 1-3 gather for one question, before the refusal gate decides."""

    question: str
    standalone: str
    request: GenerationRequest
    sentences: list[ScoredSentence]  # the passages' sentences scored against the question
    retrieved: list[Passage]  # every retrieved passage; request.passages are the top_k
    timings: dict[str, float]
    t0: float


@dataclass
class _Context:
    """What steps 1-3 produced for one question the gate let through."""

    question: str
    standalone: str
    request: GenerationRequest
    evidence: Draft
    relevance: float
    retrieved: list[Passage]
    timings: dict[str, float]
    t0: float


class AnswerService:
    def __init__(self, embedder: Embedder, retriever: Retriever, generator: Generator,
                 prompts: PromptSet, top_k: int, min_relevance: float,
                 max_question_chars: int = 2000, *,
                 evidence: ExtractiveGenerator | None = None,
                 verifier: CitationVerifier | None = None,
                 spans: SpanLocator | None = None,
                 condenser: Condenser | None = None,
                 fallback_share: float = 0.5,
                 trust_model_refusal: bool = True,
                 gate: RefusalGate | None = None) -> None:
        self._embedder = embedder
        self._retriever = retriever
        self._generator = generator
        self._prompts = prompts
        self._top_k = top_k
        self._gate = gate or ThresholdGate(min_relevance)
        self._max_question_chars = max_question_chars
        self._evidence = evidence or (generator if isinstance(generator, ExtractiveGenerator)
                                      else ExtractiveGenerator(embedder))
        self._verifier = verifier or CitationVerifier(embedder)
        self._spans = spans
        self._condenser = condenser or RuleCondenser()
        self._fallback_share = fallback_share
        self._trust_model_refusal = trust_model_refusal

    @property
    def prompt_version(self) -> str:
        return self._prompts.version

    @property
    def generator_name(self) -> str:
        return self._generator.name

    def answer(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Answer:
        """Answer ``question`` (a follow-up of ``history``) from the index, citing, or refuse."""
        ctx = self._prepare(question, history, options)
        if isinstance(ctx, Answer):
            return ctx
        t = time.perf_counter()
        if self._generator is self._evidence:
            draft = ctx.evidence
        else:
            draft = self._generator.generate(ctx.request)
        ctx.timings["generate"] = (time.perf_counter() - t) * 1000
        return self._finish(ctx, draft)

    def stream(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Iterator[StreamEvent]:
        """Yield the answer text in pieces as it is produced, then the verified :class:`Answer`.

        An LLM's tokens are passed on as they come; verification can only judge whole sentences,
        so the final :class:`StreamDone` answer is authoritative (its ``verification`` says what
        was dropped or replaced). The extractive answer is verified first and then streamed.
        """
        ctx = self._prepare(question, history, options)
        if isinstance(ctx, Answer):
            yield StreamDelta(ctx.answer)
            yield StreamDone(ctx)
            return
        if self._generator is self._evidence:
            answer = self._finish(ctx, ctx.evidence)
            for piece in _sentences_with_markers(answer.answer):
                yield StreamDelta(piece)
            yield StreamDone(answer)
            return
        t = time.perf_counter()
        pieces: list[str] = []
        for piece in self._generator.stream(ctx.request):
            pieces.append(piece)
            yield StreamDelta(piece)
        ctx.timings["generate"] = (time.perf_counter() - t) * 1000
        text = "".join(pieces)
        yield StreamDone(self._finish(ctx, Draft(text=text, support=ctx.evidence.support,
                                                 refused=self._prompts.is_refusal(text))))

    # ---- steps --------------------------------------------------------------------------

    def evidence(self, question: str, history: Sequence[Turn] = (),
                 options: AskOptions | None = None) -> Evidence:
        """Steps 1-3 without the gate: the standalone question, the retrieved passages and their
        sentences scored against it (``eval.calibrate`` fits the gate on these)."""
        question = self._validate(question, history)
        options = options or AskOptions()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        standalone = self._condenser.condense(question, history) if history else question
        t1 = time.perf_counter()
        timings["condense"] = (t1 - t0) * 1000
        query_vector = self._embedder.embed([standalone])[0]
        t2 = time.perf_counter()
        timings["embed"] = (t2 - t1) * 1000
        top_k = options.top_k or self._top_k
        wanted = max(top_k, options.candidates)
        if options.exclude_doc_ids:
            # Over-fetch: the left-out documents may hold many of the nearest chunks.
            retrieved = [p for p in self._retriever.retrieve(standalone, query_vector,
                                                             wanted * 4 + 40, options.filters)
                         if p.doc_id not in options.exclude_doc_ids][:wanted]
        else:
            retrieved = self._retriever.retrieve(standalone, query_vector, wanted,
                                                 options.filters)
        passages = retrieved[:top_k]
        t3 = time.perf_counter()
        timings["retrieve"] = (t3 - t2) * 1000
        request = GenerationRequest(standalone, np.asarray(query_vector), passages)
        sentences = self._evidence.score_sentences(request) if passages else []
        timings["evidence"] = (time.perf_counter() - t3) * 1000
        return Evidence(question, standalone, request, sentences, retrieved, timings, t0)

    def _prepare(self, question: str, history: Sequence[Turn],
                 options: AskOptions | None) -> _Context | Answer:
        found = self.evidence(question, history, options)
        t = time.perf_counter()
        evidence = self._evidence.compose(found.sentences)
        relevance = self._gate.score(found.standalone, found.sentences,
                                     found.request.passages)
        found.timings["gate"] = (time.perf_counter() - t) * 1000
        if evidence.refused or relevance < self._gate.threshold:
            return self._refusal(found.question, found.standalone, found.timings, found.t0,
                                 found.retrieved, relevance)
        return _Context(found.question, found.standalone, found.request, evidence, relevance,
                        found.retrieved, found.timings, found.t0)

    def _finish(self, ctx: _Context, draft: Draft) -> Answer:
        passages = ctx.request.passages
        if draft.refused and self._trust_model_refusal:
            return self._refusal(ctx.question, ctx.standalone, ctx.timings, ctx.t0,
                                 ctx.retrieved, ctx.relevance)
        t = time.perf_counter()
        verified = self._verifier.verify(draft.text, passages)
        fallback = False
        if draft is not ctx.evidence and (not verified.kept
                                          or verified.supported_share < self._fallback_share
                                          or self._off_topic(verified, ctx)):
            verified, fallback = self._verifier.verify(ctx.evidence.text, passages), True
        spans = self._spans_of(verified, passages)
        text, citations = assemble(verified.text, passages, spans)
        ctx.timings["verify"] = (time.perf_counter() - t) * 1000
        if not citations:
            return self._refusal(ctx.question, ctx.standalone, ctx.timings, ctx.t0,
                                 ctx.retrieved, ctx.relevance)
        ctx.timings["total"] = (time.perf_counter() - ctx.t0) * 1000
        verification = Verification(
            checked=len(verified.sentences) + len(verified.dropped),
            dropped=tuple(verified.dropped), flagged=tuple(verified.flagged),
            removed_markers=verified.removed_markers, fallback=fallback)
        return Answer(question=ctx.question, answer=text, citations=citations, refused=False,
                      prompt_version=self._prompts.version, generator=self._generator.name,
                      timings_ms=_rounded(ctx.timings), retrieved=ctx.retrieved,
                      standalone_question=ctx.standalone, verification=verification,
                      relevance=ctx.relevance)

    def _off_topic(self, verified: VerifiedDraft, ctx: _Context) -> bool:
        """Whether an LLM's supported sentences answer something else: none of them comes
        within ``OFF_TOPIC_MARGIN`` of the best evidence sentence's closeness to the question
        (a small model copying a passage's title is supported, but no answer)."""
        vectors = self._embedder.embed([s.text for s in verified.kept])
        best = float(np.max(vectors @ np.asarray(ctx.request.query_vector, dtype=np.float32)))
        return best < ctx.evidence.support - OFF_TOPIC_MARGIN

    def _spans_of(self, verified: VerifiedDraft,
                  passages: Sequence[Passage]) -> dict[int, list[Span]]:
        """Supporting spans by passage number, in document offsets, without repeats."""
        out: dict[int, list[Span]] = {}
        for sentence in verified.kept:
            for sup in sentence.supports:
                p = passages[sup.passage - 1]
                a, b = sup.span
                if self._spans is not None:
                    start, end = self._spans.locate(p, a, b)
                else:
                    start, end = p.start, p.end
                span = Span(start=start, end=end, text=p.text[a:b], support=sup.score)
                if all((s.start, s.end) != (start, end) for s in out.get(sup.passage, [])):
                    out.setdefault(sup.passage, []).append(span)
        return out

    def _validate(self, question: str, history: Sequence[Turn] = ()) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty: send some text to ask about")
        for what, text in [("the question", question)] + [
                (f"history turn {i}", t.content) for i, t in enumerate(history)]:
            problem = text_problem(text)
            if problem:
                raise InputError(f"{what} {problem}")
        question = question.strip()
        if len(question) > self._max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self._max_question_chars}"
            )
        return question

    def _refusal(self, question: str, standalone: str, timings: dict[str, float], t0: float,
                 retrieved: list[Passage] | None = None,
                 relevance: float | None = None) -> Answer:
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(question=question, answer=self._prompts.refusal, citations=[],
                      refused=True, prompt_version=self._prompts.version,
                      generator=self._generator.name, timings_ms=_rounded(timings),
                      retrieved=retrieved or [], standalone_question=standalone,
                      relevance=relevance)


def _sentences_with_markers(text: str) -> Iterator[str]:
    pieces = re.split(r"(?<=\])\s+", text)
    for i, piece in enumerate(pieces):
        yield piece + (" " if i < len(pieces) - 1 else "")


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timings.items()}
