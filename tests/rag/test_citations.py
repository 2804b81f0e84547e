from rag.citations import assemble
from rag.types import Passage


def passage(i: int) -> Passage:
    return Passage(chunk_id=f"c{i}", doc_id=f"d{i}.txt", title=f"T{i}", text=f"text {i}",
                   start=i, end=i + 5, score=0.5)


def test_markers_are_renumbered_in_order_of_use_and_unknown_markers_dropped():
    text, citations = assemble("First [3]. Second [1]. Again [3]. Bogus [9]. Zero [0].",
                               [passage(1), passage(2), passage(3)])
    assert text == "First [1]. Second [2]. Again [1]. Bogus. Zero."
    assert [(c.n, c.doc_id) for c in citations] == [(1, "d3.txt"), (2, "d1.txt")]


def test_no_markers_no_citations():
    text, citations = assemble("Nothing cited.", [passage(1)])
    assert text == "Nothing cited." and citations == []
