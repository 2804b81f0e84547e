"""The ``openai`` backend: any OpenAI-compatible server through llama-index's OpenAILike LLM
(a streamed reply read straight from the same OpenAI client, so that it is always closed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError, GeneratorUnavailableError
from rag.generators.llm import Message

if TYPE_CHECKING:
    import httpx


class OpenAIChat:
    """:class:`~rag.generators.llm.ChatModel` over ``base_url`` (e.g. ``http://host:8080/v1``).

    One OpenAI client (one HTTP connection pool) serves both paths: a whole reply goes through
    llama-index's ``OpenAILike``, a streamed one straight through that same client (see
    :meth:`stream_chat`). ``http_client`` replaces the client's own ``httpx.Client`` (its pool
    limits, proxies); None keeps the OpenAI default.
    """

    def __init__(self, base_url: str, model: str, api_key: str, max_tokens: int = 256,
                 temperature: float = 0.0, timeout: float = 120.0, max_retries: int = 1,
                 http_client: httpx.Client | None = None) -> None:
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
                               max_retries=max_retries, http_client=http_client)
        # The client llama-index itself uses (credentials resolved as it resolves them,
        # timeout, retries): the streamed path shares its pool rather than opening another.
        self._client = self._llm._get_client()
        self._request: dict[str, Any] = {"model": model, "temperature": temperature}
        if max_tokens is not None:  # as llama-index sends it: left out when None
            self._request["max_tokens"] = max_tokens

    def chat(self, messages: list[Message]) -> str:
        try:
            response = self._llm.chat(_messages(messages))
        except Exception as exc:
            raise self._unavailable(exc) from None
        return response.message.content or ""

    def stream_chat(self, messages: list[Message]) -> Iterator[str]:
        # ``timeout`` bounds each wait for bytes; a server that trickles tokens forever is cut
        # off when the whole reply has taken longer than that too.
        #
        # Read from the OpenAI client in a ``with``, not through llama-index's stream_chat:
        # its generator iterates the OpenAI ``Stream`` without ever closing it, so a reply we
        # stop reading (the caller closed us, the deadline, an error) kept its HTTP connection
        # checked out of the pool until the garbage collector happened to free the Stream, and
        # a collection while the pool's lock was held deadlocked the next request
        # (docs/reliability.md). Leaving the ``with`` closes the response, whatever the exit.
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.chat.completions.create(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    stream=True, **self._request) as stream:
                for chunk in stream:
                    delta = chunk.choices[0].delta if chunk.choices else None
                    if delta is not None and delta.content:
                        yield delta.content
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the reply took longer than {self.timeout:g} s")
        except Exception as exc:
            raise self._unavailable(exc) from None

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
