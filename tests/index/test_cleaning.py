from pathlib import Path

import pytest

from index.cleaning import Cleaner
from index.loaders import load_document
from index.types import Document


def doc(text: str) -> Document:
    return Document(doc_id="d.txt", title="t", text=text, source_path="d.txt", mtime=0.0,
                    content_hash="0" * 64)


def test_drops_boilerplate_lines_and_keeps_content():
    text = "Real news line.\n\nRead More News\n\nLeave a Reply\nSecond line."
    clean = Cleaner().clean(doc(text))
    assert clean.text == "Real news line.\n\nSecond line."
    assert "Read More News" in clean.removed_lines


def test_subscribe_heading_drops_rest_of_document():
    text = "Story text.\n\n## Subscribe to the Paper\n\nGet exclusive access!\n## Subscribe"
    clean = Cleaner().clean(doc(text))
    assert clean.text == "Story text."


def test_tags_escapes_and_spaces_are_normalised_with_exact_offsets():
    text = "Losses  exceeding \\$200 <u>million</u>\tper day."
    clean = Cleaner().clean(doc(text))
    assert clean.text == "Losses exceeding $200 million per day."
    # every kept character maps to the same character in the original
    for i, ch in enumerate(clean.text):
        if ch != " ":
            assert text[clean.offsets[i]] == ch
    start, end = clean.original_span(clean.text.index("$200"), clean.text.index("$200") + 4)
    assert text[start:end] == "$200"
    s, e = clean.original_span(clean.text.index("million"), clean.text.index("million") + 7)
    assert text[s:e] == "million"


def test_extra_patterns_from_settings_and_bad_pattern_message():
    clean = Cleaner(extra_boilerplate=[r"sponsored content"]).clean(doc("a b c d.\nSponsored content"))
    assert clean.text == "a b c d."
    with pytest.raises(ValueError, match="invalid boilerplate pattern"):
        Cleaner(extra_boilerplate=["("])


def test_sample_corpus_boilerplate_is_gone(corpus_dir: Path):
    cleaner = Cleaner()
    texts = {p.name: cleaner.clean(load_document(p, corpus_dir)).text
             for p in sorted(corpus_dir.iterdir())}
    joined = "\n".join(texts.values())
    for line in ["Read More News", "Leave a Reply", "Subscribe to the New American",
                 "appeared first on The Independent News", "Required fields are marked",
                 "Crafts retailer Joan files for bankruptcy", "<u>", "\\$"]:
        assert line not in joined, line
    assert "$200 million per day" in texts["003_01b82d5fbafcc814.txt"]
    assert "191,000 migrants" in texts["004_e904c1ee689fa2a3.txt"]
