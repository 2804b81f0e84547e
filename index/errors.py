"""The exception tree, shared by every layer.

``RagError`` is the root; every error a user can cause is one of its children, and its message
says what was wrong and what to do. ``service/errors.py`` maps each child to one HTTP status:

- ``ConfigError`` (500 at start-up, exit 2 in the CLI): a setting is invalid.
- ``InputError`` (422/400): a question, a request or a file is malformed or too large.
  ``UnreadableFile`` is the one a loader raises for a file it cannot turn into text (also a
  ``ValueError``); ``str(exc)`` is the reason.
- ``NotFoundError`` (404): a document id that is not in the index.
- ``IndexMismatchError`` (409): the index was built with another embedding model.
- ``IndexBusyError`` (409): another process holds the index's write lock.
- ``StoreUnavailableError`` (503): the vector store cannot be reached.
  ``EmbedderUnavailableError`` (503): the embeddings server (``embedding.backend = "openai"``)
  cannot be reached or failed after its retries.
- ``StorageFullError`` (507): a write failed because the disk holding the index is full.
"""

from __future__ import annotations


class RagError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(RagError):
    """A setting is missing or invalid."""


class InputError(RagError):
    """Something a user sent (question, request, file) is not acceptable."""


class UnreadableFile(InputError, ValueError):
    """One file cannot be turned into text (corrupt, refused, wrong type); ``str(exc)`` says why.

    An ingest records it as that file's failure and goes on with the other files.
    """


class NotFoundError(RagError):
    """The named document (or other object) does not exist."""


class IndexMismatchError(RagError):
    """The index was built with a different embedding model or dimension."""


class IndexBusyError(RagError):
    """Another process is writing to the index."""


class StoreUnavailableError(RagError):
    """The vector store cannot be reached."""


class EmbedderUnavailableError(StoreUnavailableError):
    """The remote embeddings server cannot be reached, timed out or failed (HTTP 503)."""


class StorageFullError(RagError):
    """A write to the index failed because its disk is full (see index/disk_space.py)."""
