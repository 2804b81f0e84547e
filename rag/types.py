"""Typed values of the answering path: Passage in, Answer out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk. ``score`` is the cosine of the question's and the chunk's vectors;
    ``start``/``end`` index the document text."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    date: str = ""  # the document's date, ISO 8601 (index.dates); empty if unknown
    date_source: str = ""  # metadata or text (the document's own word) or file (its mtime)
    page_start: int = 0  # PDF: the 1-based pages the passage starts and ends on; 0: no pages
    page_end: int = 0
    period: tuple[int, int] | None = None  # the years its document covers (rag.time_scope)
    series: str = ""  # the organisation its document is about (index.context); "" unknown
    # Other documents' near-duplicates of it, collapsed in retrieval (rag.fusion): versions of
    # the story that may state a value otherwise (read by stage short_answer, never ranked).
    versions: tuple[Passage, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Span:
    """The exact text that supports an answer sentence: ``document[start:end]`` in the original
    document text (the same offsets as :attr:`Citation.start`), ``text`` its cleaned form."""

    start: int
    end: int
    text: str
    support: float  # how well it supports the sentence that cites it (see rag.grounding)
    page: int = 0  # PDF: the 1-based page it starts on (rag.pages); 0: no pages or not known


@dataclass(frozen=True)
class CitedTable:
    """The rows of a table a citation's supporting text falls in, with the table's caption and
    header, for the answer to show as a small table (index.tables wrote the rows)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    page: int = 0


@dataclass(frozen=True)
class Citation:
    """A passage the answer cites as ``[n]``, with the spans inside it that support the answer."""

    n: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    chunk_id: str
    spans: tuple[Span, ...] = ()
    date: str = ""  # the document's date (see Passage.date)
    date_source: str = ""
    page_start: int = 0  # PDF: the pages of the passage (see Passage.page_start); 0: no pages
    page_end: int = 0
    table: CitedTable | None = None  # the table rows the supporting spans fall in, if any


@dataclass(frozen=True)
class ShortAnswer:
    """The exact answer a typed question asks for (a name, a figure, a date, a list), as the
    document states it: ``document[start:end] == text`` in the original document text (the same
    offsets as :attr:`Citation.start`), inside citation ``citation`` (its ``n``)."""

    text: str
    citation: int
    start: int
    end: int


@dataclass(frozen=True)
class Refusal:
    """Why a question was refused, when there is more to say than "no answer": ``reason``
    ``period`` (the documents speak of the subject, but not of the period asked: ``detail``
    names it, "2015" or "1990-1994"), ``versions`` (a "what changed" question over a document
    found in one version only: ``detail`` is its title) or ``unchanged`` (its versions state
    nothing different about the part asked of: ``detail`` is its title)."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Side:
    """One side of a disagreement among the sources: the value one document states
    (``document[start:end] == text``, as :class:`ShortAnswer`), in citation ``citation``, with
    that document's date (see rag.claims for when two values disagree)."""

    text: str
    citation: int
    start: int
    end: int
    doc_id: str
    date: str = ""
    date_source: str = ""


@dataclass(frozen=True)
class ShapeItem:
    """One cited piece of an answer's shape (rag.shapes): a step, an item, a side's sentence, a
    period's figure. ``start``/``end``: its text in the original document (as a citation span's
    offsets); ``label``: a step's number, a side's name, a row's period; ``value``: a row's
    figure."""

    text: str
    citation: int
    start: int
    end: int
    label: str = ""
    value: str = ""


@dataclass(frozen=True)
class AnswerShape:
    """What kind of answer the question asks for and, for all but a factoid, the answer in that
    shape: steps, items, sides or rows (``items``), a trend's ``table`` (``{"header": [...],
    "rows": [[period, value, citation], ...]}``), a yes/no ``verdict`` ("yes", "no" or None),
    and a ``note`` ("Only 2 found", the change a trend states)."""

    kind: str
    items: tuple[ShapeItem, ...] = ()
    table: dict[str, list] | None = None
    verdict: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Verification:
    """What citation verification did to the generator's draft (see rag.grounding).

    ``dropped``: answer sentences removed because no cited passage supports them (mode "drop");
    ``flagged``: unsupported sentences kept but marked (mode "flag"); ``removed_markers``: markers
    that pointed at no passage or at a passage that does not support the sentence;
    ``fallback``: the draft was replaced by the extractive answer because too little of it was
    supported.
    """

    checked: int = 0
    dropped: tuple[str, ...] = ()
    flagged: tuple[str, ...] = ()
    removed_markers: int = 0
    fallback: bool = False


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
    modification time and of when it was indexed; ``dated_*`` bound the document's date (when it
    was published or last updated, index.dates: a document without one does not pass them).
    ``collections``: the collections a document
    must belong to (None: every one); the service sets it from the key and the request, and
    retrieval applies it inside both retrievers (docs/collections.md).
    """

    doc_ids: tuple[str, ...] = ()
    path_prefix: str | None = None
    title: str | None = None
    modified_after: float | None = None
    modified_before: float | None = None
    indexed_after: float | None = None
    indexed_before: float | None = None
    collections: tuple[str, ...] | None = None
    dated_after: float | None = None  # the document's own date (index.dates), as a Unix time
    dated_before: float | None = None

    def only_collections(self) -> bool:
        """Whether the collections are the only condition (the dense query then needs no
        document-id list)."""
        from dataclasses import replace

        return replace(self, collections=None).is_empty()

    def is_empty(self) -> bool:
        return self == RetrievalFilters()


@dataclass(frozen=True)
class AskOptions:
    top_k: int | None = None
    filters: RetrievalFilters | None = None
    # How many ranked passages to keep on the Answer for inspection (eval's recall@10).
    candidates: int = 10
    # Documents to leave out of retrieval (eval's unanswerable cases: a question asked
    # without its gold documents).
    exclude_doc_ids: frozenset[str] = frozenset()


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
    # The question that was actually retrieved for: a follow-up rewritten from the history.
    standalone_question: str | None = None
    verification: Verification = field(default_factory=Verification)
    # The refusal gate's score of the evidence: the answerability model's probability under the
    # default ModelGate, the best evidence sentence's cosine under ThresholdGate.
    relevance: float | None = None
    # The exact answer, first in ``answer`` too; None when the question asks for no entity or
    # the evidence holds none of the kind asked for.
    short_answer: ShortAnswer | None = None
    answer_type: str | None = None  # what the question asks for (rag.question_typing); not public
    release: str | None = None  # the corpus release the passages came from (index/releases.py)
    release_date: str | None = None  # when that release's corpus state was made (ISO 8601)
    # The sources state different values for the exact answer: each side, newest first (the
    # first is the short answer's when it is the newest or no side is dated); empty when they
    # agree or only one says.
    disagreement: list[Side] = field(default_factory=list)
    refusal: Refusal | None = None  # why it was refused, when the reason is more than "no answer"
    # The answer's shape (rag.shapes): kind "factoid" for today's typed answers; None refused.
    shape: AnswerShape | None = None

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
            "standalone_question": self.standalone_question or self.question,
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "verification": asdict(self.verification),
            "short_answer": None if self.short_answer is None else asdict(self.short_answer),
            "release": self.release,
            "release_date": self.release_date,
            "disagreement": [asdict(s) for s in self.disagreement],
            "refusal": None if self.refusal is None else asdict(self.refusal),
            "shape": None if self.shape is None else {
                **asdict(self.shape), "items": [asdict(i) for i in self.shape.items]},
        }
