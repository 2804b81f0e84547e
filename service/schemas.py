"""Request and response models of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, description="The question to answer.",
                          examples=["How many migrants did Border Patrol apprehend in November?"])
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to consider.")


class CitationOut(BaseModel):
    n: int = Field(..., description="The marker number used in the answer text, [n].")
    doc_id: str
    title: str
    text: str = Field(..., description="The cited passage.")
    start: int = Field(..., description="Start of the passage in the document text.")
    end: int = Field(..., description="End (exclusive) of the passage in the document text.")
    score: float
    chunk_id: str


class AskResponse(BaseModel):
    question: str
    answer: str
    citations: list[CitationOut]
    refused: bool = Field(..., description="True when the documents do not contain the answer.")
    prompt_version: str
    generator: str
    timings_ms: dict[str, float]


class ErrorBody(BaseModel):
    type: str = Field(..., description="Machine-readable error kind.")
    message: str = Field(..., description="What was wrong and what to do.")


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
