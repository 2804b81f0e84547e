"""The ``openai`` backend: any OpenAI-compatible server through llama-index's OpenAILike LLM."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from rag.errors import ConfigError, GeneratorUnavailableError
from rag.generators.llm import Message


class OpenAIChat:
    """:class:`~rag.generators.llm.ChatModel` over ``base_url`` (e.g. ``http://host:8080/v1``)."""

    def __init__(self, base_url: str, model: str, api_key: str, max_tokens: int = 256,
                 temperature: float = 0.0, timeout: float = 120.0, max_retries: int = 1) -> None:
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError:
            raise ConfigError(
                "generator 'openai' needs the optional extra: pip install -e '.[llm]'"
            ) from None
        self.base_url = base_url
        self.timeout = timeout
        self._llm = OpenAILike(model=model, api_base=base_url, api_key=api_key,
                               is_chat_model=True, max_tokens=max_tokens,
                               temperature=temperature, timeout=timeout,
                               max_retries=max_retries)

    def chat(self, messages: list[Message]) -> str:
        try:
            response = self._llm.chat(_messages(messages))
        except Exception as exc:
            raise self._unavailable(exc) from None
        return response.message.content or ""

    def stream_chat(self, messages: list[Message]) -> Iterator[str]:
        # ``timeout`` bounds each wait for bytes; a server that trickles tokens forever is cut
        # off when the whole reply has taken longer than that too.
        deadline = time.monotonic() + self.timeout
        stream = None
        try:
            stream = self._llm.stream_chat(_messages(messages))
            for chunk in stream:
                if chunk.delta:
                    yield chunk.delta
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the reply took longer than {self.timeout:g} s")
        except Exception as exc:
            raise self._unavailable(exc) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _unavailable(self, exc: Exception) -> GeneratorUnavailableError:
        return GeneratorUnavailableError(
            f"the OpenAI-compatible server at {self.base_url} failed: {type(exc).__name__}: "
            f"{exc}. Check RAG_GENERATOR__OPENAI__BASE_URL, __MODEL and __API_KEY"
        )


def _messages(messages: list[Message]) -> list[Any]:
    from llama_index.core.llms import ChatMessage, MessageRole

    roles = {"system": MessageRole.SYSTEM, "user": MessageRole.USER,
             "assistant": MessageRole.ASSISTANT}
    return [ChatMessage(role=roles[m.role], content=m.content) for m in messages]
