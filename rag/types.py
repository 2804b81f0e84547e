"""Typed values of the answering path: Passage in, Answer out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its relevance score. ``start``/``end`` index the document text."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Citation:
    """A passage the answer cites as ``[n]``."""

    n: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    chunk_id: str


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class RetrievalFilters:
    """Which documents may answer (every given condition must hold; see rag.filters).

    ``doc_ids``: exact document ids; ``path_prefix``: start of the document id (its path in the
    corpus) or of its source path; ``title``: case-insensitive substring of the title; the
    ``*_after`` (inclusive) / ``*_before`` (exclusive) bounds are Unix times of the file's
    modification time and of when it was indexed.
    """

    doc_ids: tuple[str, ...] = ()
    path_prefix: str | None = None
    title: str | None = None
    modified_after: float | None = None
    modified_before: float | None = None
    indexed_after: float | None = None
    indexed_before: float | None = None

    def is_empty(self) -> bool:
        return self == RetrievalFilters()


@dataclass(frozen=True)
class AskOptions:
    top_k: int | None = None
    filters: RetrievalFilters | None = None
    # How many ranked passages to keep on the Answer for inspection (eval's recall@10).
    candidates: int = 10


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation]
    refused: bool
    prompt_version: str
    generator: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: list[Passage] = field(default_factory=list)  # ranked candidates; not public

    def to_public(self) -> dict[str, object]:
        """The JSON shape of ``POST /v1/ask`` (the CLI's ``--json`` prints the same)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "refused": self.refused,
            "prompt_version": self.prompt_version,
            "generator": self.generator,
            "timings_ms": dict(self.timings_ms),
        }
