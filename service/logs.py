"""Structured (one JSON object a line) logs carrying the request id of the request being served."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_request_id() -> str:
    return _request_id.get()


def start_request(incoming: str | None) -> str:
    """Adopt the caller's X-Request-ID when it is sane, else make one; bind it to this context."""
    rid = incoming if incoming and _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
    _request_id.set(rid)
    return rid


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...extra}``: one object per line."""

    FIELDS = ("method", "path", "route", "status", "ms", "client")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key in self.FIELDS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Route our loggers and uvicorn's through the JSON formatter on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware logs every request with its id; uvicorn's access line would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
