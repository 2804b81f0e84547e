"""Time scopes (rag/time_scope.py): what a question asks of, what a passage states, the order."""

from __future__ import annotations

import pytest

from index.context import document_years, period_years
from rag.time_scope import (BOUND, EXACT, NONE, OPEN_END, OPEN_START, OTHER, Scope, asked,
                             begins, document_fit, passage_fit, period_fit, prefer, stated,
                             written_ranges)


@pytest.mark.parametrize("question, first, last", [
    ("What percent of claims did OPM process within 60 days in FY 2015?", 2015, 2015),
    ("In FY 2016, how many days did an investigation take?", 2016, 2016),
    ("What share was processed in fiscal year 2017?", 2017, 2017),
    ("Who owned the house from 1811 to 1827?", 1811, 1827),
    ("Who was head of state from Mar 2015 to Mar 2020?", 2015, 2020),
    ("Who led the party between March 1990 and 1994?", 1990, 1994),
    ("What rank did he have from September 1934 to May 1937?", 1934, 1937),
    ("Who won the cup in 2015?", 2015, 2015),
    ("What was the headcount as of 2010?", 2010, 2010),
    ("Who coached the team before 2000?", OPEN_START, 1999),
    ("Who has coached the team since 2019?", 2019, OPEN_END),
    ("Who coached the team after 2019?", 2020, OPEN_END),
])
def test_a_question_s_years_are_its_scope(question: str, first: int, last: int) -> None:
    assert asked(question) == Scope(first, last)


@pytest.mark.parametrize("question", [
    "Who starred in Avatar, the 2009 film by James Cameron?",  # a year in a name: no scope
    "How many retirement claims were processed within 60 days?",
    "What does the plan say about 1500 employees?",
])
def test_no_scope_without_a_dated_phrase(question: str) -> None:
    assert asked(question) is None


def test_latest_asks_for_the_newest_period() -> None:
    assert asked("What is the most recent satisfaction score?") == Scope(latest=True)
    assert asked("What did the agency spend last quarter?") == Scope(latest=True)


def test_a_passage_states_years_and_ranges_but_not_figures() -> None:
    text = "Owned from 1811 to 1827; rebuilt 1990–1994. It cost $2,019 and housed 1,998 people."
    assert stated(text) == [(1811, 1827), (1990, 1994)]
    assert passage_fit(text, Scope(1820, 1820)) == 1
    assert passage_fit(text, Scope(2015, 2015)) == -1
    assert passage_fit("No year here.", Scope(2015, 2015)) == 0


def test_documents_of_the_asked_period_come_first_and_keep_their_own_order() -> None:
    texts = ["FY 2019 Results: 81% | FY 2018 Results: 79%",  # another report, other years
             "The measure rose in FY 2015 to 70.1%.",  # another report, the asked year
             "Percent processed within 60 days",  # the asked report, no year
             "FY 2015 Results: 70.1% | FY 2015 Target: 75%"]  # the asked report, the asked year
    periods = [(2019, 2019), (2019, 2019), (2015, 2015), (2015, 2015)]
    docs = ["r2019", "r2019", "r2015", "r2015"]
    series = ["opm"] * 4  # one agency's yearly reports
    assert prefer(asked("What percent in FY 2015?"), texts, periods, docs, series) == [2, 3, 1, 0]
    # reports on different subjects: the period does not choose between them; passages do,
    # within each document
    assert prefer(asked("What percent in FY 2015?"), texts, periods, docs) == [1, 0, 2, 3]
    # no document states a period: the years passages state never move a document
    assert prefer(asked("What percent in FY 2018?"), texts, [None] * 4, "abcd") == [0, 1, 2, 3]
    assert prefer(asked("What percent in FY 2015?"), texts, [None] * 4, "aabb") == [1, 0, 3, 2]
    # no scope: untouched
    assert prefer(asked("What percent?"), texts, periods, docs, series) == [0, 1, 2, 3]


def test_a_passage_s_years_reorder_its_own_document_but_never_outrank_it() -> None:
    texts = ["In 1916 Newton Baker bought the house.", "George Peter owned it from 1811 to 1827.",
             "In 1820 the town around it grew."]
    question = asked("Who owned the house from 1811 to 1827?")
    assert prefer(question, texts, [None] * 3, ["house", "house", "town"]) == [1, 0, 2]
    # a document stating only other years keeps its place above one stating the asked period
    assert prefer(question, texts[:1] + texts[2:], [None] * 2, ["house", "town"]) == [0, 1]


def test_latest_puts_the_newest_period_first() -> None:
    order = prefer(asked("What is the latest figure?"), ["a", "b", "c"],
                   [(2019, 2019), None, (2022, 2022)], "xyz", ["x"] * 3)
    assert order == [2, 1, 0]


def test_a_document_states_its_own_period() -> None:
    opening = "United States Office of Personnel Management\nAnnual Performance Report\n" \
              "Fiscal Year 2015\nFEBRUARY 2016\n"
    assert document_years("", opening) == (2015, 2015)
    assert document_years("", "Strategic Plan FY 2022 - 2026 ...") == (2022, 2026)
    # the opening says nothing: the file name does
    assert document_years("", "Office of Personnel Management February 2014",
                          "2013-annual-performance-report.pdf") == (2013, 2013)
    assert document_years("Minutes", "The harbour commission met.", "minutes.txt") is None
    from index.context import document_series, record_facts
    assert document_series("", "United StateS Office Of PerSOnnel ManageMent\nFiscal Year 2013") \
        == document_series("", "U.S. Office of Personnel Management\nFiscal Year 2022") \
        == "office of personnel management"
    assert record_facts("", opening) == {"period": [2015, 2015],
                                         "series": "office of personnel management"}
    assert record_facts("Minutes", "The harbour commission met.") == {}
    assert period_years("FY 2022-26") == (2022, 2026)
    assert period_years("quarter ended July 1, 2023") == (2023, 2023)


def test_sentences_stating_the_asked_year_outweigh_those_stating_others() -> None:
    from types import SimpleNamespace

    from rag.selection import time_weights

    sentences = [SimpleNamespace(text=t) for t in (
        "George Peter owned the house from 1811 to 1827.",
        "In 1916 Newton D. Baker bought the house.",
        "The house stands on a quiet street.")]
    weights = time_weights("Who owned the house from 1811 to 1827?", sentences, 0.64)
    assert weights.round(6).tolist() == [1.0, 0.262144, 0.4096]  # penalty cubed / squared
    assert time_weights("Who owned the house?", sentences, 0.64).tolist() == [1.0, 1.0, 1.0]


def test_a_scope_is_unmet_only_when_no_passage_or_document_speaks_of_it() -> None:
    from rag.time_scope import describe, unmet

    texts = ["In 1916 Newton Baker bought the house.", "The house has twelve rooms."]
    assert unmet(asked("Who owned the house in 1850?"), texts, [None, None])
    assert not unmet(asked("Who owned the house in 1916?"), texts, [None, None])
    assert not unmet(asked("Who owned the house in 1850?"), texts, [None, (1840, 1860)])
    assert not unmet(asked("Who owns the house now?"), texts, [None, None])
    assert not unmet(asked("Who owned the house?"), texts, [None, None])
    assert [describe(asked(q)) for q in ("in 2015?", "from 1990 to 1994?", "before 2000?",
                                         "since 2019?")] == \
        ["2015", "1990-1994", "before 2000", "2019 or later"]


def test_a_range_of_full_dates_with_a_tokenised_comma_is_the_range() -> None:
    """A tokenised page writes "25 October , 2004": the range it opens is stated whole."""
    line = "- Hirohiko Izumida ( 泉田裕彦 ) - from 25 October , 2004 to 24 October , 2016"
    assert stated(line) == [(2004, 2016)]
    scope = asked("Who governed the prefecture from Oct 2004 to Oct 2016?")
    assert period_fit(line, scope) == EXACT
    later = asked("Who governed the prefecture from Jun 2018 to Jun 2019?")
    assert begins("- Hideyo Hanazumi - from 12 June , 2018 to present", later)
    assert not begins("- Ryuichi Yoneyama - from 25 October , 2016 to 27 April , 2018", later)


def test_an_undated_sentence_of_a_report_of_the_asked_year_speaks_of_it() -> None:
    """One predicate for the selector's time weights and the short answer's dated read."""
    scope = asked("How many claims were processed in FY 2016?")
    undated = "The office processed 1,200 claims within 60 days."
    assert document_fit(undated, scope, (2016, 2016)) == BOUND
    assert document_fit(undated, scope, (2018, 2018)) == NONE
    assert document_fit(undated, scope, None) == NONE
    assert document_fit("In 2014 it processed 900.", scope, (2016, 2016)) == OTHER


@pytest.mark.parametrize("line, years", [
    ("- Yuri Puntus ( 1 March 1996 – 30 November 2004 )", (1996, 2004)),
    ("Valeriy Ivanovych Khoroshkovsky , March 11 , 2010 – January 18 , 2012", (2010, 2012)),
    ("Mary Carter, May 1904 – May 1905", (1904, 1905)),
    ("The plan ran 1 April 2023 - 31 March 2024.", (2023, 2024)),
])
def test_a_list_s_range_of_dates_without_from_states_that_period(line, years) -> None:
    """Lists of holders and policy periods write a range of full dates with a dash alone: it
    states the asked period exactly; its years are read one by one otherwise (a life's dates
    are written so: "( 8 June 1920 – 8 August 1991 )" says little of 1942)."""
    assert period_fit(line, Scope(*years)) == EXACT
    assert [r[2:] for r in written_ranges(line)] == [years]


def test_a_life_s_dates_do_not_speak_of_the_years_between() -> None:
    line = "Ivan Kozhedub ( 8 June 1920 – 8 August 1991 ) was a Soviet fighter ace."
    assert stated(line) == [(1920, 1920), (1991, 1991)]
    assert period_fit(line, Scope(1942, 1943)) == OTHER


def test_two_dates_not_joined_by_a_dash_stay_two_years() -> None:
    assert stated("On 1 March 1996 he joined; in March 2015 he left.") == [(1996, 1996),
                                                                           (2015, 2015)]
    assert stated("in March 2015 – and 2016") == [(2015, 2015), (2016, 2016)]
