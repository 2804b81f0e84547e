"""Re-export of the shared exception tree (defined in :mod:`index.errors`, the lowest layer)."""

from index.errors import (
    ConfigError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotFoundError,
    RagError,
    StoreUnavailableError,
)

__all__ = [
    "ConfigError",
    "IndexBusyError",
    "IndexMismatchError",
    "InputError",
    "NotFoundError",
    "RagError",
    "StoreUnavailableError",
]
