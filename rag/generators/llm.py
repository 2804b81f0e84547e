"""LLM generators: one chat-model seam, the prompt files, passages rendered as data.

A backend only has to turn a list of chat messages into text, whole or as a stream of pieces
(:class:`ChatModel`); :class:`LLMGenerator` builds the messages from the prompt set (system
prompt, then the ``answer`` template with the passages fenced as data) and recognises the
model's own refusal. Whether the reply is supported is judged later, by the citation verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from rag.generators.base import Draft, GenerationRequest
from rag.prompts import PromptSet, render_passages


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    def chat(self, messages: list[Message]) -> str: ...

    def stream_chat(self, messages: list[Message]) -> Iterator[str]: ...


class LLMGenerator:
    """A :class:`~rag.generators.base.Generator` over any :class:`ChatModel`."""

    def __init__(self, name: str, model: ChatModel, prompts: PromptSet,
                 max_passage_chars: int = 1500) -> None:
        self.name = name
        self.model = model
        self._prompts = prompts
        self._max_passage_chars = max_passage_chars

    def messages(self, request: GenerationRequest) -> list[Message]:
        system = self._prompts.render("system", refusal=self._prompts.refusal)
        user = self._prompts.render(
            "answer", passages=render_passages(request.passages, self._max_passage_chars),
            question=request.question)
        return [Message("system", system.strip()), Message("user", user.strip())]

    def generate(self, request: GenerationRequest) -> Draft:
        text = self.model.chat(self.messages(request))
        return Draft(text=text.strip(), support=0.0, refused=self._prompts.is_refusal(text))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        yield from self.model.stream_chat(self.messages(request))

    def complete(self, prompt: str) -> str:
        """One user turn, no system prompt: used by the condense step."""
        return self.model.chat([Message("user", prompt)])
