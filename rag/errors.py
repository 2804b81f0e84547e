"""Re-export of the shared exception tree (defined in :mod:`index.errors`, the lowest layer)."""

from index.errors import (
    ConfigError,
    EmbedderUnavailableError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotFoundError,
    RagError,
    StorageFullError,
    StoreUnavailableError,
)



class GeneratorUnavailableError(StoreUnavailableError):
    """The LLM backend (an OpenAI-compatible server) cannot be reached or failed (HTTP 503)."""


__all__ = [
    "ConfigError",
    "EmbedderUnavailableError",
    "GeneratorUnavailableError",
    "IndexBusyError",
    "IndexMismatchError",
    "InputError",
    "NotFoundError",
    "RagError",
    "StorageFullError",
    "StoreUnavailableError",
]
