from hypothesis import given
from hypothesis import strategies as st

from rag.sentences import content_words, split_sentences


def test_sentences_keep_offsets_and_abbreviations():
    text = "U.S. Secretary Blinken met Mr. Lopez. They talked for two hours! Was it useful? Yes.\nNew line"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "U.S. Secretary Blinken met Mr. Lopez.",
        "They talked for two hours!",
        "Was it useful?",
        "Yes.",
        "New line",
    ]
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_content_words_drop_stopwords():
    assert content_words("How many migrants did the Border Patrol apprehend?") == {
        "migrants", "border", "patrol", "apprehend"}


PDF_COLUMN = """HOUSING ASSISTANCE
CLAIMS BACKLOG
The Regional Housing Office (RHO) cut
its backlog of open claims, closing the
year with about 12,400 claims, down from
15,900 at the start of the
year. To do
so, the office added two review teams.
Goals:
- one item
- two items
1. first
2. second
Type: Target | Status: Met | Number: 7,500
Type: Actual | EndDate: 2029-12-31
```bash
rag releases rollback
rag serve
```"""


def test_reflowed_reads_a_wrapped_paragraph_as_sentences_and_keeps_structure():
    from rag.sentences import reflowed

    text = reflowed(PDF_COLUMN)
    assert len(text) == len(PDF_COLUMN)
    said = [s.text for s in split_sentences(text)]
    assert said[:4] == [
        "HOUSING ASSISTANCE", "CLAIMS BACKLOG",  # headings in capitals stay
        "The Regional Housing Office (RHO) cut its backlog of open claims, closing the year "
        "with about 12,400 claims, down from 15,900 at the start of the year.",
        "To do so, the office added two review teams."]
    # a list's lead, its items, table rows and fenced commands keep their lines
    assert said[4:] == ["Goals:", "- one item", "- two items", "1. first", "2. second",
                        "Type: Target | Status: Met | Number: 7,500",
                        "Type: Actual | EndDate: 2029-12-31", "```bash",
                        "rag releases rollback", "rag serve", "```"]


def test_short_lines_without_marks_stay_lines():
    from rag.sentences import reflowed

    slide = ("Quarterly results\nRevenue grew 10 percent in the third quarter of the year\n"
             "Costs fell")
    assert split_sentences(reflowed(slide))[0].text == "Quarterly results"


@given(st.text(alphabet="ab .,:-|#\n`Ab1", max_size=200))
def test_reflowed_only_turns_line_breaks_into_spaces(text):
    from rag.sentences import reflowed

    out = reflowed(text)
    assert len(out) == len(text)
    assert all(a == b or (a == "\n" and b == " ") for a, b in zip(text, out))


def test_a_list_items_wrapped_lines_are_one_sentence_and_the_items_stay_apart():
    """A Markdown or reStructuredText item wraps into a line indented to its text, or (once
    the cleaner has stripped the indent) into an unmarked line; the next item, a sub-item and
    a line after a finished item stay apart."""
    from rag.sentences import reflowed

    text = ("* The vulnerability is within a supported version of\n  Django.\n"
            "  * Exploits which fail to follow best practices, such as failure to\n"
            "    sanitize user input. For other examples, see our security\n"
            "    documentation.\n"
            "- Code contributions to Django projects or major packages in the\n"
            "Django ecosystem\n- Reviewing pull requests\n"
            "#. Issue the release(s), by placing new packages on the Python\n"
            "   Package Index and on the website.\n"
            "1. Done.\nThen rest.\n"
            "- Hideyo Hanazumi - from 12 June , 2018 to present and until this day, in office\n"
            "Economy .")
    said = [" ".join(s.text.split()) for s in split_sentences(reflowed(text))]
    assert said == [
        "* The vulnerability is within a supported version of Django.",
        "* Exploits which fail to follow best practices, such as failure to sanitize user "
        "input.", "For other examples, see our security documentation.",
        "- Code contributions to Django projects or major packages in the Django ecosystem",
        "- Reviewing pull requests",
        "#.", "Issue the release(s), by placing new packages on the Python Package Index and on "
        "the website.", "1.", "Done.", "Then rest.",
        "- Hideyo Hanazumi - from 12 June , 2018 to present and until this day, in office",
        "Economy ."]  # an unindented capitalised line after an item is no wrap: a heading


def test_a_trimmed_sentence_is_found_where_it_stands():
    from rag.generators.extractive import find_trimmed, trim

    text = "Intro. However, pip 20.3 was the last version that supported Python 2. More."
    said = trim("However, pip 20.3 was the last version that supported Python 2.")
    assert said == "Pip 20.3 was the last version that supported Python 2."
    at = find_trimmed(text, said)
    assert text[at:at + len(said)].lower() == said.lower()
    assert find_trimmed(text, "Python 3 is supported.") == -1
