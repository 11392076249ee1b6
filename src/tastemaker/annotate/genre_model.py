"""Genre from audio features: a multinomial logistic regression shipped in ``genre_model.json``.

Fitted by ``python -m benchmarks.annotate_quality --write-model`` on the training half of the
TidyTuesday Spotify songs (6 genres); the benchmark scores it on the other half. The inputs are the
standardised features, their squares and their pairwise products: genres differ in combinations
(danceable *and* speechy is rap, danceable *and* loud is EDM) a linear model of the raw features
cannot draw. Nothing is read from the data set at run time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tastemaker.audio.model import AudioFeatures

FEATURES = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "mode",
    "speechiness",
    "tempo",
    "valence",
    "duration_ms",
)
MODEL_FILE = Path(__file__).with_name("genre_model.json")

Matrix = npt.NDArray[np.float64]


def raw_matrix(features: Sequence[AudioFeatures]) -> Matrix:
    return np.asarray([[float(getattr(f, name)) for name in FEATURES] for f in features], dtype=np.float64)


def expand(standardised: Matrix) -> Matrix:
    """Features, squares and pairwise products, plus a constant column for the bias."""
    upper = np.triu_indices(standardised.shape[1])
    products = standardised[:, upper[0]] * standardised[:, upper[1]]
    return np.hstack([standardised, products, np.ones((len(standardised), 1))])


def softmax(logits: Matrix) -> Matrix:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: Matrix = shifted / shifted.sum(axis=1, keepdims=True)
    return result


@dataclass(frozen=True)
class GenreModel:
    classes: tuple[str, ...]
    mean: Matrix
    scale: Matrix
    weights: Matrix
    """(expanded features) × classes."""

    def probabilities(self, raw: Matrix) -> Matrix:
        return softmax(expand((raw - self.mean) / self.scale) @ self.weights)

    def as_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "classes": list(self.classes),
            "mean": np.round(self.mean, 6).tolist(),
            "scale": np.round(self.scale, 6).tolist(),
            "weights": np.round(self.weights, 6).tolist(),
        }


def fit(raw: Matrix, labels: Sequence[str], *, l2: float = 1e-3, iterations: int = 300) -> GenreModel:
    """Multinomial logistic regression by L-BFGS (SciPy), L2-regularised, on the expanded features."""
    from scipy.optimize import minimize

    classes = tuple(sorted(set(labels)))
    mean, scale = raw.mean(axis=0), np.maximum(raw.std(axis=0), 1e-9)
    x = expand((raw - mean) / scale)
    index = {name: i for i, name in enumerate(classes)}
    y = np.zeros((len(labels), len(classes)))
    y[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    shape = (x.shape[1], len(classes))

    def loss(flat: Matrix) -> tuple[float, Matrix]:
        weights = flat.reshape(shape)
        p = softmax(x @ weights)
        value = -float(np.sum(y * np.log(np.maximum(p, 1e-12)))) / len(x) + l2 * float(np.sum(weights**2))
        gradient = x.T @ (p - y) / len(x) + 2 * l2 * weights
        return value, gradient.ravel()

    found = minimize(
        loss, np.zeros(shape).ravel(), jac=True, method="L-BFGS-B", options={"maxiter": iterations}
    )
    return GenreModel(classes=classes, mean=mean, scale=scale, weights=np.asarray(found.x).reshape(shape))


_lock = threading.Lock()
_shipped: GenreModel | None = None


def shipped() -> GenreModel:
    """The model in the package, loaded once."""
    global _shipped
    with _lock:
        if _shipped is None:
            data = json.loads(MODEL_FILE.read_text())
            if tuple(data["features"]) != FEATURES:
                msg = f"{MODEL_FILE.name} was fitted on other features: {data['features']}"
                raise ValueError(msg)
            _shipped = GenreModel(
                classes=tuple(data["classes"]),
                mean=np.asarray(data["mean"]),
                scale=np.asarray(data["scale"]),
                weights=np.asarray(data["weights"]),
            )
        return _shipped
