"""The Chroma client: embedded under the data directory, or HTTP to a server with a bound on
every wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.errors import StoreUnavailableError


def make_client(mode: str, data_dir: Path, host: str = "127.0.0.1", port: int = 8001,
                ssl: bool = False, headers: dict[str, str] | None = None,
                timeout: float = 30.0) -> Any:
    """A Chroma client with telemetry off: persistent under ``data_dir`` or HTTP to a server
    whose every reply is waited for at most ``timeout`` seconds."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "embedded":
        path = Path(data_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers or None,
                                     settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain exceptions when the server is down
        scheme = "https" if ssl else "http"
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {scheme}://{host}:{port}: {exc}. Start it with "
            "'chroma run --path DIR --port PORT' or fix RAG_STORE__HOST/RAG_STORE__PORT"
        ) from None
    bound_http_waits(client, timeout)
    return client


def bound_http_waits(client: Any, timeout: float) -> None:
    """Give the HTTP client's session a timeout: chromadb 1.5 makes its ``httpx.Client`` with
    ``timeout=None`` and has no setting for it, so a hung server would hold every request
    forever. A timeout surfaces as ``httpx.ReadTimeout``, reported as 503 like a refused
    connection (service/errors.py)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise StoreUnavailableError(
            "this chromadb client has no HTTP session to bound; the store's timeout cannot be "
            "applied (chromadb's client changed: pin chromadb as pyproject.toml does)")
    session.timeout = httpx.Timeout(timeout, connect=min(5.0, timeout))
