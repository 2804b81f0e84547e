"""Checks of the text a user sends (question, history, comment, filters, document ids)."""

from __future__ import annotations

import re

# C0 control characters other than tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(text: str) -> str | None:
    """What makes ``text`` unacceptable as user input, or None.

    JSON may carry unpaired surrogates (``"\\ud800"``) that no encoder, tokenizer or database
    takes, and control characters that no question or comment needs.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"holds an unpaired surrogate (U+{ord(text[exc.start]):04X}) at character "
                f"{exc.start}: send valid Unicode")
    bad = _CONTROL.search(text)
    if bad:
        return (f"holds a control character (U+{ord(bad.group()):04X}) at character "
                f"{bad.start()}: remove it")
    return None
