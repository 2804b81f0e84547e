"""The holder of a list's line (rag.stages.entity_text.entry_holder): what stands beside the
range of years, the whole of it, or nothing for a line that is a sentence."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.stages.entity_text import entry_holder

ROLES = frozenset({"director", "president"})


def _holder(text: str, years: str = r"\d{4}\s*[-–]\s*\d{4}") -> str | None:
    m = re.search(years, text)
    assert m is not None
    span = entry_holder(text, m.start(), m.end(), ROLES)
    return None if span is None else text[span[0]:span[1]]


@pytest.mark.parametrize("line, holder", [
    ("1719–1724: Hugo Hamilton Hamilton af Hageby", "Hugo Hamilton Hamilton af Hageby"),
    ("Manfred Schmidt ( 2010-2015 )", "Manfred Schmidt"),
    ("Rupprecht, Crown Prince of Bavaria ( 1904–1906 ) - Later a Generalfeldmarschall",
     "Rupprecht, Crown Prince of Bavaria"),
    ("Sir Roger Makins ( 1956–1959 ) ( joint )", "Sir Roger Makins"),
    ("Bernard Lee: 1962–1979.", "Bernard Lee"),
    ("Guido Münch, 1978–1989", "Guido Münch"),
    ("- Palacio Vistalegre ( 2004–2010 ).", "Palacio Vistalegre"),
    ("Director Ernst Aichner ( 1979-2010 ).", "Ernst Aichner"),
    ("Panagiotis Poulitsas ( 1943–1951 ), interim Prime Minister in April 1946",
     "Panagiotis Poulitsas"),
    ("Earlier lines.\n1964–1966: Gösta Odqvist\n1966–1970: Another Name", "Gösta Odqvist"),
])
def test_the_whole_holder_beside_the_range(line, holder):
    assert _holder(line) == holder


@pytest.mark.parametrize("line", [
    "In 1970, Gill left for industry ( 1970-1979 )",  # a sentence, not a name
    "2013–2014: 10th Anniversary and Kingdom.",  # opens with a figure
    "Note about amendments to the administrative-territorial changes ( 1917–1991 )",
    "Eberhard Leibnitz ( 1910–1986 ), chemist, 1955 - 1958",  # the range asked is the second
    "The museum moved 1913–1961 to the town orphanage",  # words on both sides
])
def test_a_line_that_is_no_entry_gives_none(line):
    years = r"1955 - 1958" if "1955" in line else r"\d{4}\s*[-–]\s*\d{4}"
    assert _holder(line, years) is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
       st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_the_holder_is_a_span_of_the_line_and_leaves_out_the_range(before, after):
    text = f"{before}1990–1995{after}"
    start = len(before)
    span = entry_holder(text, start, start + 9, ROLES)
    if span is not None:
        s, e = span
        assert 0 <= s < e <= len(text)
        assert e <= start or s >= start + 9
        assert "\n" not in text[s:e]
