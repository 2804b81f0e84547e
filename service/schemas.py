"""Request and response models of the HTTP API."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
)

from rag.filters import build_filters
from rag.input_checks import text_problem
from rag.types import AskOptions, RetrievalFilters, Turn


def _valid_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(f"the text {problem}")
    return value


# Text a user sends that the service stores or searches with (not the question or history,
# which AnswerService checks for every entry point).
Text = Annotated[str, AfterValidator(_valid_text)]


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(..., description="What was said.")

    def to_turn(self) -> Turn:
        return Turn(role=self.role, content=self.content)


def _date_text(value: object) -> object:
    # Pydantic would read a number (or a string of digits) as a Unix time; the API takes dates
    # as ISO text only.
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    if value is not None and not isinstance(value, datetime):
        raise ValueError("give the date as text: YYYY-MM-DD or an ISO date-time such as "
                         "2024-03-01T12:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_date_text), WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]})]


class FiltersIn(BaseModel):
    """Answer only from documents matching every given condition."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[Text] = Field(default_factory=list, max_length=1000,
                               description="Exact document ids (paths in the corpus).")
    path_prefix: Text | None = Field(None, min_length=1, description="Start of the document id "
                                    "or of its source path, e.g. 'reports/2024/'.")
    title: Text | None = Field(None, min_length=1,
                               description="Case-insensitive substring of the title.")
    modified_after: Moment | None = Field(None, description="File modified at or after this "
                                            "(ISO date or date-time; UTC unless a zone is given).")
    modified_before: Moment | None = Field(None, description="File modified before this.")
    indexed_after: Moment | None = Field(None, description="Indexed at or after this.")
    indexed_before: Moment | None = Field(None, description="Indexed before this.")
    dated_after: Moment | None = Field(None, description="The document's own date (published or "
                                       "last updated) at or after this; an undated document "
                                       "does not pass.")
    dated_before: Moment | None = Field(None, description="The document's own date before this.")

    def to_filters(self) -> RetrievalFilters:
        """The typed filters; InputError (422) when a date range is empty."""
        return build_filters(
            doc_ids=tuple(self.doc_ids), path_prefix=self.path_prefix, title=self.title,
            modified_after=_timestamp(self.modified_after),
            modified_before=_timestamp(self.modified_before),
            indexed_after=_timestamp(self.indexed_after),
            indexed_before=_timestamp(self.indexed_before),
            dated_after=_timestamp(self.dated_after),
            dated_before=_timestamp(self.dated_before),
        )


def _timestamp(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class RetrievalOptionsIn(BaseModel):
    """What may narrow the retrieval of a question (``/v1/ask`` and ``/v1/chat/completions``)."""

    top_k: int | None = Field(None, ge=1, le=50, description="Passages to consider.")
    filters: FiltersIn | None = Field(None, description="Metadata filters (all must hold).")
    collections: list[Text] | None = Field(
        None, max_length=100, description="Answer only from these collections (each one the "
        "key can see; an unknown one is a 404). Default: every collection the key can see.")

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        # JSON Schema's integer is a number without a fraction (3 or 3.0); pydantic alone
        # would also take "3" and true.
        if isinstance(value, (str, bool)):
            raise ValueError("must be a whole number, not text or true/false")
        return value

    def retrieval_filters(self) -> RetrievalFilters | None:
        return self.filters.to_filters() if self.filters else None

    def ask_options(self) -> AskOptions:
        return AskOptions(top_k=self.top_k, filters=self.retrieval_filters())


class AskRequest(RetrievalOptionsIn):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, description="The question to answer.",
                          examples=["How many migrants did Border Patrol apprehend in November?"])
    history: list[HistoryTurn] = Field(
        default_factory=list, description="Earlier turns of the conversation, oldest first; a "
        "follow-up question is read in their light.")


class SpanOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    start: int = Field(..., description="Start of the supporting text in the document text.")
    end: int = Field(..., description="End (exclusive) of the supporting text in the document.")
    text: str = Field(..., description="The supporting text (cleaned).")
    support: float = Field(..., description="How well it supports the answer sentence (0-1).")
    page: int = Field(0, ge=0, description="PDF: the 1-based page the supporting text starts on; "
                      "0 for formats without pages, or when it cannot be told.")


class VerificationOut(BaseModel):
    checked: int = Field(..., description="Answer sentences checked against their passages.")
    dropped: list[str] = Field(..., description="Unsupported sentences removed from the answer.")
    flagged: list[str] = Field(..., description="Unsupported sentences kept (verification=flag).")
    removed_markers: int = Field(..., description="Markers removed: they pointed at nothing or "
                                 "at a passage that does not support their sentence.")
    fallback: bool = Field(..., description="The LLM's answer was unsupported and replaced by "
                           "the extractive answer.")


class TableOut(BaseModel):
    caption: str = Field("", description="The table's caption, or the heading above it.")
    header: list[str] = Field(..., description="The column headers (the first may be blank: "
                              "the row labels' column).")
    rows: list[list[str]] = Field(..., description="The cited rows, each its cells in column "
                                  "order.")
    page: int = Field(0, ge=0, description="PDF: the table's page; 0 without pages.")


class CitationOut(BaseModel):
    # Extra fields (e.g. the supporting span within the passage) pass through as they appear.
    model_config = ConfigDict(extra="allow")

    n: int = Field(..., description="The marker number used in the answer text, [n].")
    doc_id: str
    title: str
    text: str = Field(..., description="The cited passage.")
    start: int = Field(..., description="Start of the passage in the document text.")
    end: int = Field(..., description="End (exclusive) of the passage in the document text.")
    score: float
    chunk_id: str
    spans: list[SpanOut] = Field(default_factory=list, description="The exact text inside the "
                                 "passage that supports the answer (the widget highlights it).")
    date: str = Field("", description="The document's date: when it was published or last "
                      "updated (ISO 8601), empty if unknown.")
    date_source: str = Field("", description="'metadata' or 'text' (the document states it) or "
                             "'file' (its modification time; it states none).")
    page_start: int = Field(0, ge=0, description="PDF: the 1-based page the passage starts on "
                            "(GET /v1/files/{doc_id} serves the PDF); 0 for formats without "
                            "pages.")
    page_end: int = Field(0, ge=0, description="PDF: the page the passage ends on (equal to "
                          "page_start unless it crosses a page break); 0 without pages.")
    table: TableOut | None = Field(None, description="When the supporting text is rows of a "
                                   "table (PDF, HTML, DOCX, spreadsheets, csv): those rows with "
                                   "the table's caption and header, to show as a small table.")


class ShortAnswerOut(BaseModel):
    text: str = Field(..., description="The exact answer as the document states it (a name, a "
                      "figure, a date, a list): the document text's [start:end].")
    citation: int = Field(..., description="The n of the citation it comes from.")
    start: int = Field(..., description="Start of the exact answer in the document text (the "
                       "same offsets as citation spans).")
    end: int = Field(..., description="End (exclusive) of the exact answer in the document.")


class SideOut(ShortAnswerOut):
    doc_id: str
    date: str = Field("", description="That document's date (ISO 8601), empty if unknown.")
    date_source: str = Field("", description="Where the date came from (see citations).")


class RefusalOut(BaseModel):
    reason: str = Field(..., description="'period': the documents speak of the subject, but "
                        "not of the period the question names; 'versions': a question asking "
                        "what changed in a document found in one version only; 'unchanged': "
                        "its versions state nothing different about the part asked of.")
    detail: str = Field("", description="For 'period': the period asked, e.g. '2015', "
                        "'1990-1994'; for 'versions' and 'unchanged': the document's title.")
class ShapeItemOut(BaseModel):
    text: str = Field(..., description="A step, an item, a side's sentence or a period's "
                      "sentence, as the document states it.")
    citation: int = Field(..., description="The n of the citation it comes from.")
    start: int = Field(..., description="Start of the piece in the document text (the same "
                       "offsets as citation spans).")
    end: int = Field(..., description="End (exclusive) of the piece in the document text.")
    label: str = Field("", description="A step's number, a comparison side's name, a trend "
                       "row's period; empty otherwise.")
    value: str = Field("", description="A trend row's figure; empty otherwise.")


class ShapeTableOut(BaseModel):
    header: list[str] = Field(..., description="['period', 'value', 'citation'].")
    rows: list[list[str | int]] = Field(..., description="One row per period, oldest first.")


class ShapeOut(BaseModel):
    kind: Literal["factoid", "procedure", "explanation", "yes_no", "comparison", "list",
                  "trend", "changes"] = Field(..., description="The kind of answer the question asks "
                                   "for (docs/answers.md).")
    items: list[ShapeItemOut] = Field(
        default_factory=list, description="procedure: the steps in order; explanation: the "
        "sentences; yes_no: the deciding sentence, or one sentence per subject of a question "
        "about two (label: the subject); comparison: one sentence per side (label: "
        "the side); list: every item; trend: one row per period; changes: one item per change "
        "(label changed, added or removed), a changed one followed by what it was (label was, "
        "cited in the older version). Empty for a factoid (its "
        "exact answer is short_answer) and when nothing of the shape was found.")
    table: ShapeTableOut | None = Field(None, description="trend: period, value, citation.")
    verdict: Literal["yes", "no"] | None = Field(
        None, description="yes_no: the verdict; null when the deciding sentence cannot tell.")
    note: str = Field("", description="list: 'Only N found' when fewer items than the "
                      "question asks for; trend: the change stated; changes: the two versions "
                      "and how many changes; comparison (and a yes_no "
                      "about two subjects): a side the documents say nothing of.")


class AskResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    answer_id: str = Field(..., description="Names this answer in POST /v1/feedback.")
    question: str
    standalone_question: str = Field(
        ..., description="The question as understood after reading the history (a follow-up "
        "rewritten to stand alone); the question itself when there is no history.")
    answer: str
    citations: list[CitationOut]
    refused: bool = Field(..., description="True when the documents do not contain the answer.")
    prompt_version: str
    generator: str
    timings_ms: dict[str, float] = Field(..., description="Milliseconds per pipeline stage.")
    relevance: float | None = Field(None, description="The refusal gate's score of the evidence: "
                                     "under the default answerability model a probability (0-1, "
                                     "refused below its threshold); under the threshold gate the "
                                     "best evidence sentence's cosine.")
    verification: VerificationOut | None = None
    short_answer: ShortAnswerOut | None = Field(
        None, description="The exact answer, for a question that asks for a person, place, "
        "organisation, date, figure or list of them; it also opens `answer`, cited. null when "
        "the question asks for something else or the evidence names nothing of that kind.")
    release: str | None = Field(None, description="The corpus release the answer was read "
                                "from (GET /v1/releases/{id}); null before the first ingest.")
    release_date: str | None = Field(None, description="When that release's corpus state was "
                                     "made (ISO 8601, UTC): the answer's documents are as of "
                                     "then. null before the first ingest.")
    disagreement: list[SideOut] = Field(
        default_factory=list, description="When the cited documents state different values for "
        "the exact answer (a figure, an amount, a duration, a date): each side, newest stated "
        "date first, each cited; the answer text opens by saying so. Empty when they agree.")
    refusal: RefusalOut | None = Field(
        None, description="Why the question was refused, when there is more to say than 'no "
        "answer'; null otherwise (and for answers).")
    shape: ShapeOut | None = Field(
        None, description="The answer's shape: the kind of question and, for all but a "
        "factoid, its steps, sentences, verdict, sides, items or trend table, each cited as in "
        "`answer` (docs/answers.md). null for a refusal.")


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI "content parts": keep the text parts
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(RetrievalOptionsIn):
    """The OpenAI chat-completions request; sampling options are accepted and ignored. The
    extra ``top_k`` and ``filters`` fields narrow retrieval as in ``/v1/ask``."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("rag", description="Any name; the answer comes from the documents.")
    messages: list[ChatMessage] = Field(..., min_length=1, examples=[[
        {"role": "user", "content": "How many migrants did Border Patrol apprehend in November?"}]])
    stream: StrictBool = False


class DocumentOut(BaseModel):
    doc_id: str = Field(..., description="The index-wide id: the path in the corpus, prefixed "
                        "'COLLECTION::' outside the 'default' collection.")
    collection: str = "default"
    title: str
    format: str
    content_hash: str
    chunk_count: int
    char_count: int
    indexed_at: float
    date: str = Field("", description="When the document was published or last updated (ISO "
                      "8601; empty for one indexed before dates were kept).")
    date_source: str = Field("", description="Where the date came from: 'metadata' (the "
                             "file's own), 'text' (a date the text states of itself) or "
                             "'file' (its modification time: the document states none).")


class DocumentText(DocumentOut):
    text: str = Field(..., description="The document's text; citation offsets index into it.")


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentOut]


class FileOutcome(BaseModel):
    doc_id: str
    filename: str
    status: Literal["added", "updated", "unchanged", "failed"]
    reason: str | None = None
    attachments: list["FileOutcome"] = Field(
        default_factory=list, description="A mail's attachments, each indexed as a document of "
        "its own (id: the mail's, '#' and the attachment's name; filename: that name), or "
        "failed with the reason; the mail itself is indexed either way.")


class UploadResult(BaseModel):
    added: int
    updated: int
    unchanged: int
    failed: int
    chunks_written: int
    files: list[FileOutcome]
    release: str | None = Field(None, description="The release the upload staged (or, when "
                                "nothing changed, the published one).")
    release_outcome: str = Field("unchanged", description="'published', 'held' (the gate "
                                 "refused it), 'staged' (waiting for a publish) or 'unchanged'.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: Text = Field(..., min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: Text = Field("", description="Optional: what was good or wrong.")


class FeedbackCreated(BaseModel):
    feedback_id: str


class ErrorBody(BaseModel):
    type: str = Field(..., description="Machine-readable error kind.")
    message: str = Field(..., description="What was wrong and what to do.")


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str


_ERROR_MEANINGS = {
    401: "API key missing or wrong",
    403: "read key on an admin route, or no admin key configured",
    404: "no such document, answer or report",
    409: "the index is busy (another process holds its write lock: retry when that ingest "
         "ends) or was built with another embedding model",
    413: "upload too large or too many files",
    415: "not multipart, or only unsupported file types",
    422: "bad request: the message says which field and why",
    503: "the store is unreachable or the service is still starting",
    507: "the disk holding the index is full: free some space and retry",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": _ERROR_MEANINGS[code]}
    for code in (401, 403, 404, 413, 415, 422, 503)
}
# Routes that write the index: a concurrent ingest holds its lock (409); the disk is full (507).
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, **{code: {"model": ErrorResponse, "description": _ERROR_MEANINGS[code]}
                 for code in (409, 507)}}


# OpenAPI links: which call follows from a response, by the operationIds FastAPI derives from
# the route functions (tests/service/test_api_links.py checks every link's target and
# parameters). Clients and Schemathesis's stateful tests chain calls through them.
SHOW_RELEASE = "show_release_v1_releases__release_id__get"
PUBLISH_RELEASE = "publish_v1_releases__release_id__publish_post"
ROLLBACK = "rollback_release_v1_releases_rollback_post"
LIST_DOCUMENTS = "list_documents_v1_documents_get"


def release_links(field: str = "release") -> dict[str, Any]:
    """Links from a response that names a release in ``field``: show it, publish it."""
    value = f"$response.body#/{field}"
    return {"ShowRelease": {"operationId": SHOW_RELEASE, "parameters": {"release_id": value},
                            "description": f"The release named in '{field}'."},
            "PublishRelease": {"operationId": PUBLISH_RELEASE,
                               "parameters": {"release_id": value},
                               "description": f"Publish the release named in '{field}'."}}


def with_links(responses: dict[int | str, dict[str, Any]], status: int,
               links: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses`` with ``links`` on the ``status`` response."""
    return {**responses, status: {**responses.get(status, {}), "links": links}}


def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses documented as JSON on a route whose own media type is another (a page):
    FastAPI would list a ``model`` under the route's media type. Use beside ``ERRORS`` elsewhere,
    which puts ``ErrorResponse`` in the schema's components."""
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    return {code: {"content": {"application/json": {"schema": ref}}} for code in codes}


class CollectionSummary(BaseModel):
    name: str
    documents: int = Field(..., description="Documents the caller can ask about in it.")
    updated: str | None = Field(None, description="When its newest document was indexed (ISO "
                                "8601, UTC); null when it is empty.")


class CollectionOut(BaseModel):
    name: str
    documents: int = Field(..., description="Documents in it (published release).")


class CollectionList(BaseModel):
    collections: list[CollectionOut]


class Overview(BaseModel):
    collections: list[CollectionSummary]
    documents: int
    updated: str | None
    examples: list[str] = Field(..., description="Questions to try: recent answers staff rated "
                                "up.")
