"""Retrieval against plain llama-index on the same files: "the right document first".

``python -m bench.peer --corpus DIR --qa FILE [--out FILE]`` builds two indexes of the same corpus
with the same bundled encoder and asks both the gold set's answerable questions:

- **plain llama-index**: ``SimpleDirectoryReader``, its default ``SentenceSplitter`` (1,024
  tokens, 200 overlap), ``VectorStoreIndex`` in memory, top 10 by cosine: what a team gets from
  the tutorial. Its default PDF reader (``PDFReader`` of llama-index-readers-file) cannot be
  installed beside our pypdf pin (it requires pypdf<7), so PDFs are read here as it reads them:
  pypdf's ``extract_text`` of each page, a document per page with its ``page_label``;
- **ours**: ``rag ingest``'s sync into a fresh data directory and the retriever the settings
  configure (hybrid, reranked, duplicates collapsed), top 10 passages.

Both are scored by document, from the distinct documents in rank order: hit@1 (the right document
first), hit@5 and MRR (eval.metrics). Nothing is fitted here; the figures are what the code
computes on the set named.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.dataset import load_qa
from eval.metrics import hit_at_k, reciprocal_rank
from index.embedder import Embedder
from rag.settings import Settings, load_settings

TOP = 10


def _scores(ranked: list[list[str]], gold: list[list[str]]) -> dict[str, float]:
    n = len(gold) or 1
    return {"hit_at_1": round(sum(hit_at_k(r, g, 1) for r, g in zip(ranked, gold)) / n, 4),
            "hit_at_5": round(sum(hit_at_k(r, g, 5) for r, g in zip(ranked, gold)) / n, 4),
            "mrr": round(sum(reciprocal_rank(r, g) for r, g in zip(ranked, gold)) / n, 4)}


def _doc_id(metadata: dict[str, Any], corpus: Path) -> str:
    path = Path(metadata.get("file_path") or metadata.get("file_name", ""))
    try:
        return path.resolve().relative_to(corpus.resolve()).as_posix()
    except ValueError:
        return path.name


def _pdf_reader() -> Any:
    """llama-index-readers-file's ``PDFReader``, as it reads: a Document per page."""
    from llama_index.core import Document
    from llama_index.core.readers.base import BaseReader

    class PageReader(BaseReader):
        def load_data(self, file: Path, extra_info: dict | None = None, **_: Any) -> list:
            from pypdf import PdfReader

            reader = PdfReader(str(file))
            return [Document(text=page.extract_text() or "",
                             metadata={"page_label": reader.page_labels[i],
                                       "file_name": Path(file).name, **(extra_info or {})})
                    for i, page in enumerate(reader.pages)]

    return PageReader()


def llama_index_ranking(corpus: Path, questions: list[str], embedder: Embedder) -> list[list[str]]:
    """Plain llama-index, defaults except the embedding model (ours, so neither downloads)."""
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    from rag.retrieval import llama_embedding

    documents = SimpleDirectoryReader(str(corpus), recursive=True,
                                      file_extractor={".pdf": _pdf_reader()}).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=llama_embedding(embedder))
    retriever = index.as_retriever(similarity_top_k=TOP)
    return [[_doc_id(n.node.metadata, corpus) for n in retriever.retrieve(q)] for q in questions]


def our_ranking(settings: Settings, corpus: Path, questions: list[str],
                embedder: Embedder) -> list[list[str]]:
    from rag.factory import build_pipeline

    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus)
    vectors = embedder.embed(questions)
    return [[p.doc_id for p in pipeline.retriever.retrieve(q, v, TOP)]
            for q, v in zip(questions, vectors)]


def run_peer(settings: Settings, corpus: Path, qa: Path, embedder: Embedder) -> dict[str, Any]:
    items = [i for i in load_qa(qa) if i.answerable and i.doc_ids]
    questions = [i.question for i in items]
    gold = [list(i.doc_ids) for i in items]
    out: dict[str, Any] = {"corpus": str(corpus), "qa": str(qa), "questions": len(items)}
    for name, rank in (("llama_index", lambda: llama_index_ranking(corpus, questions, embedder)),
                       ("ours", lambda: our_ranking(settings, corpus, questions, embedder))):
        started = time.perf_counter()
        ranked = rank()
        out[name] = {**_scores(ranked, gold), "seconds": round(time.perf_counter() - started, 1),
                     "ranked": ranked}
    out["hit_at_1_gain"] = round(out["ours"]["hit_at_1"] - out["llama_index"]["hit_at_1"], 4)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--qa", type=Path, required=True)
    p.add_argument("--out", type=Path, help="write the JSON report here (with every ranking)")
    args = p.parse_args(argv)
    from rag.factory import build_embedder

    with tempfile.TemporaryDirectory(prefix="rag-peer-") as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data")
        report = run_peer(settings, args.corpus, args.qa, build_embedder(settings))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    print(f"{report['questions']} answerable questions over {args.corpus}")
    for name in ("llama_index", "ours"):
        r = report[name]
        print(f"{name:12} hit@1 {r['hit_at_1']:.3f}  hit@5 {r['hit_at_5']:.3f}  "
              f"MRR {r['mrr']:.3f}  ({r['seconds']} s)")
    print(f"hit@1 gain {report['hit_at_1_gain']:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
