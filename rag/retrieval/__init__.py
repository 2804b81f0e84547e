"""Retrieval: dense and BM25 candidates, screened, fused, reranked, deduplicated.

``HybridRetriever.retrieve`` (rag/retrieval/hybrid.py) runs these steps in order:

1. **scope** (scope.py): the question's filters resolved against the release's documents;
2. **dense path** (dense.py): one object per way of searching the vectors: exact over the
   stored vectors of few chunks, Chroma's query among the allowed chunks' ids, or Chroma's
   query with the filters' conditions;
3. **searches**: that dense search and BM25 (index/bm25.py), side by side when the dense one
   is a Chroma query;
4. **screen** (screen.py): passages that only give the model orders leave both lists;
5. **fusion**: reciprocal rank fusion of the two lists (rag/fusion.py);
6. **committed**: only chunks of document versions the release names stay;
7. **vectors**: every candidate's stored vector and its cosine with the question;
8. **rerank** (rag/rerank.py), then 9. **near-duplicate collapse** (rag/fusion.py);
10. **focused re-read** (focus.py; ``retrieval.focus_passages``, 0 turns it off): the top passage's
    document's chunk holding what the question asks beyond naming it, right after that passage.

What a question reads of its release (reads.py) is chosen once, at the start: the release
replica's snapshot of that release (index/replica.py) when it has one, else the store.

``Passage.score`` is always the cosine of the question and the passage vectors (for
keyword-only hits it is computed from the stored vector), so downstream thresholds mean the
same in every mode; the order is the retriever's.
"""

from rag.retrieval.config import RetrievalConfig, Retriever
from rag.retrieval.dense import COUNT_MAX_AGE, DenseSearch, Hit
from rag.retrieval.embedding import llama_embedding
from rag.retrieval.hybrid import OVERLAP_THREADS, HybridRetriever, top_score

__all__ = ["COUNT_MAX_AGE", "OVERLAP_THREADS", "DenseSearch", "Hit", "HybridRetriever",
           "RetrievalConfig", "Retriever", "llama_embedding", "top_score"]
