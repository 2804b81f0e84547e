"""A logistic model over named, standardised features: the form of every fitted model we ship
(the features reranker's ``rag/rerank_weights.json``, the refusal gate's
``rag/refusal_weights.json``). Fitting lives in ``fitting/`` (``fitting.logistic``); loading and
scoring live here so the answering path never imports the fitting package."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ConfigError


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(coef . (x - mean) / scale + bias)``; ``extra`` keeps the file's other fields
    (a fitted threshold, the figures it was fitted and checked with)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    bias: float
    extra: dict[str, Any] = field(default_factory=dict)

    def score(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.coef + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self, **extra: Any) -> dict[str, Any]:
        return {"features": list(self.names), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "bias": self.bias,
                **self.extra, **extra}

    @classmethod
    def load(cls, path: Path | Traversable, expected: tuple[str, ...], refit: str) -> "LinearModel":
        """Read a weights file and check it is for ``expected`` features (``refit`` names the
        command that makes a new one). ``path`` may be a packaged file (importlib.resources)."""
        try:
            source = Path(path) if isinstance(path, str) else path
            data = json.loads(source.read_text(encoding="utf-8"))
            model = cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float64),
                        np.asarray(data["scale"], dtype=np.float64),
                        np.asarray(data["coef"], dtype=np.float64), float(data["bias"]),
                        {k: v for k, v in data.items()
                         if k not in {"features", "mean", "scale", "coef", "bias"}})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read model weights {path}: {exc}") from None
        if model.names != expected:
            raise ConfigError(
                f"weights {path} are for features {list(model.names)}, but this version "
                f"computes {list(expected)}: refit them with '{refit}'"
            )
        if not (len(model.mean) == len(model.scale) == len(model.coef) == len(expected)):
            raise ConfigError(f"weights {path}: mean, scale and coef must each hold "
                              f"{len(expected)} numbers")
        return model
