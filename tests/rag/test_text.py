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
