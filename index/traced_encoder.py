"""The torch encoder traced (TorchScript) for short texts: questions and passage sentences.

Eager PyTorch runs the model's Python code for every one of its ~200 operations per call. For a
long chunk that is noise beside the arithmetic; for a question or a sentence (a few dozen word
pieces) it is most of the time, and it holds the interpreter lock while doing so, which stalls
every other request the service is answering. ``torch.jit.trace`` records the same operations
once; the traced graph then runs in C++ without the lock. The weights, the arithmetic (float32,
or bfloat16 under the same autocast) and the pooling are sentence-transformers' own: vectors
agree with the eager encoder to cosine >= 0.9999 (``tests/index/test_traced_encoder.py`` checks
batch sizes 1 to 9 and lengths up to the 256-piece limit).

Built at first use from the loaded model (tracing reads it and leaves it as it was: the eager
encoder's vectors are unchanged), traced on a padded batch so the attention mask's padding path
is in the graph, then frozen (unfrozen, the graph re-profiled itself for every new shape and ran
at a tenth of the speed); about 45 MB more memory. Anything that fails while tracing leaves the eager encoder
in charge (logged once). Only the torch backend is traced; ingest's long chunks stay eager
(``SHORT_CHARS``), where tracing gains nothing.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SHORT_CHARS = 1000  # texts up to this long go through the traced graph
MAX_BATCH = 64  # and batches up to this size
# A padded example: the second text is shorter, so the mask has zeros when the graph is traced.
_EXAMPLE = ["The delegation met the president in Mexico City on Wednesday afternoon.",
            "Border talks."]


class TracedEncoder:
    """``encode(texts)``: unit vectors from the traced model (texts tokenised and pooled as
    sentence-transformers does). Not thread-safe: the embedder calls it under its lock."""

    def __init__(self, model: Any, precision_context: Callable[[], Any]) -> None:
        import torch

        self._model = model  # the SentenceTransformer: tokenizer and pooling settings
        self._context = precision_context
        transformer = model[0]
        pooling = model[1] if len(model) > 1 else None
        if getattr(pooling, "pooling_mode_mean_tokens", True) is not True or len(model) > 3:
            raise ValueError("only mean pooling (+ normalize) is traced")
        self._graph = self._trace(transformer.auto_model, torch)

    def _trace(self, network: Any, torch: Any) -> Any:
        class MeanPooled(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                hidden = self.inner(input_ids=input_ids,
                                    attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(1)
                mean = summed / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean.float(), dim=1)

        features = self._model.preprocess(_EXAMPLE)
        with torch.inference_mode(), self._context():
            graph = torch.jit.trace(MeanPooled(network).eval(),
                                    (features["input_ids"], features["attention_mask"]),
                                    check_trace=False, strict=False)
            return torch.jit.freeze(graph)

    def encode(self, texts: list[str], features: Any = None) -> np.ndarray:
        """``features``: ``texts`` already tokenised as ``preprocess`` would (the embedder's
        checked Rust tokenizer); default: ``preprocess``."""
        import torch

        if features is None:
            features = self._model.preprocess(texts)
        with torch.inference_mode(), self._context():
            vectors = self._graph(features["input_ids"], features["attention_mask"])
        return np.asarray(vectors.numpy(), dtype=np.float32)


def short(texts: list[str]) -> bool:
    """Texts the traced graph takes: a question-sized batch of question-sized texts."""
    return len(texts) <= MAX_BATCH and all(len(t) <= SHORT_CHARS for t in texts)


def build(model: Any, precision_context: Callable[[], Any]) -> TracedEncoder | None:
    """A traced encoder for ``model``, or None (logged) when it cannot be traced."""
    import torch

    try:
        with warnings.catch_warnings():  # the tracer's notes on Python branches it fixed
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            return TracedEncoder(model, precision_context)
    except Exception as exc:  # noqa: BLE001 - any tracing failure leaves the eager encoder
        log.warning("the encoder could not be traced (%s); short texts use the eager encoder",
                    exc)
        return None
