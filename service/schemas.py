"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.types import Turn


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(..., description="What was said.")

    def to_turn(self) -> Turn:
        return Turn(role=self.role, content=self.content)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, description="The question to answer.",
                          examples=["How many migrants did Border Patrol apprehend in November?"])
    history: list[HistoryTurn] = Field(
        default_factory=list, description="Earlier turns of the conversation, oldest first; a "
        "follow-up question is read in their light.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to consider.")


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


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI "content parts": keep the text parts
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat-completions request; sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("rag", description="Any name; the answer comes from the documents.")
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    format: str
    content_hash: str
    chunk_count: int
    char_count: int
    indexed_at: float


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


class UploadResult(BaseModel):
    added: int
    updated: int
    unchanged: int
    failed: int
    chunks_written: int
    files: list[FileOutcome]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(..., min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: str = Field("", description="Optional: what was good or wrong.")


class FeedbackCreated(BaseModel):
    feedback_id: str


class ErrorBody(BaseModel):
    type: str = Field(..., description="Machine-readable error kind.")
    message: str = Field(..., description="What was wrong and what to do.")


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (401, 403, 404, 413, 415, 422, 503)
}
