"""The two tiers of settings: what an operator sets, and the advanced ones.

An advanced setting is a performance internal (a cache or pool size, a thread count, an internal
batch size) or a value tied to the shipped fitted weights (a threshold, a feature weight, a fusion
constant the eval fitted): change it only with a benchmark or a re-fit. The tier is metadata only
(the field's JSON schema ``tier``); the field's name, path and ``RAG_*`` variable are the same.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo

OPERATOR = "operator"
ADVANCED = "advanced"


def advanced(default: Any, **kwargs: Any) -> Any:
    """``Field(default, **kwargs)`` marked as an advanced setting."""
    return Field(default, json_schema_extra={"tier": ADVANCED}, **kwargs)


def tier_of(field: FieldInfo) -> str:
    """``ADVANCED`` for a field made with ``advanced``, else ``OPERATOR``."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and extra.get("tier") == ADVANCED:
        return ADVANCED
    return OPERATOR
