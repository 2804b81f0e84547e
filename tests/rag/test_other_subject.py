"""Two reports on different organisations never disagree (rag.stages.sides.other_subject):
the same sentence with each company's own figure is no dispute; without a stated period and
organisation on both sides nothing is ruled out."""

from __future__ import annotations

from rag.stages.sides import other_subject
from rag.types import Passage


def _p(series: str, period: tuple[int, int] | None) -> Passage:
    return Passage("c", "d", "t", "x", 0, 1, 0.5, period=period, series=series)


def test_reports_on_two_organisations_are_other_subjects():
    assert other_subject(_p("acme robotics, inc.", (2023, 2023)),
                         _p("globex automation corporation", (2023, 2023)))


def test_one_organisation_or_an_unknown_side_is_not_ruled_out():
    assert not other_subject(_p("acme", (2022, 2022)), _p("acme", (2023, 2023)))
    assert not other_subject(_p("acme", (2023, 2023)), _p("", (2023, 2023)))
    assert not other_subject(_p("acme", None), _p("globex", None))  # news: no period stated


def test_a_name_cut_short_is_the_same_organisation():
    """A copy whose opening breaks the name over two lines ("Office of Personnel" /
    "Management") keys its series "office of personnel": the same organisation as the report's
    own "office of personnel management" (its revised figure is a dispute, not another
    subject); a one-word prefix or two different names are not."""
    full = _p("office of personnel management", (2018, 2018))
    assert not other_subject(full, _p("office of personnel", (2018, 2018)))
    assert not other_subject(_p("office of personnel", (2018, 2018)), full)
    assert other_subject(_p("office", (2018, 2018)), full)
    assert other_subject(_p("office of management and budget", (2018, 2018)), full)
