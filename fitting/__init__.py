"""Weight fitting over the benchmarks, with the eval's datasets and runner: the refusal gate
(``python -m fitting.calibrate``), the features reranker (``python -m fitting.fit_reranker``) and
the sentence selector (``python -m fitting.fit_selector``). Installed, but imported only by those
commands; what they write ships as ``rag/*_weights.json``."""
