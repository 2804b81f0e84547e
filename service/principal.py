"""Who a request acts as: :class:`Principal`, and the groups -> collections mapping for people."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rag.settings.serving import GroupGrant
from service.errors import ApiError

Access = Literal["read", "admin"]


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a key's name (or a person) and role, and the collections it
    opens (None: all). ``via`` says how it was identified: key, session, widget-token, proxy
    or open; ``user`` is the person (None for a key)."""

    name: str
    role: Access
    collections: tuple[str, ...] | None = None
    via: str = "key"
    user: str | None = None
    groups: tuple[str, ...] = ()


OPEN = Principal("anonymous", "admin", via="open")  # nothing configured: every route is open


def person(user: str, groups: Sequence[str], grants: Mapping[str, GroupGrant],
           via: str) -> Principal:
    """The principal of a signed-in person: the union of their mapped groups' collections
    (``*``: all) and admin if any of those groups grants it; 403 when no group is mapped."""
    mapped = [grants[g] for g in groups if g in grants]
    if not mapped:
        shown = ", ".join(groups) if groups else "none"
        raise ApiError(403, "NoAccess", f"you are signed in as {user}, but none of your groups "
                       f"({shown}) opens a collection of this service: ask an administrator to "
                       "map one of them in the settings (server.groups)",
                       extra={"user": user})
    opened: list[str] = []
    everything = False
    for grant in mapped:
        if "*" in grant.collections:
            everything = True
        opened.extend(c for c in grant.collections if c != "*")
    role: Access = "admin" if any(g.role == "admin" for g in mapped) else "read"
    return Principal(user, role, None if everything else tuple(dict.fromkeys(opened)), via,
                     user, tuple(groups))
