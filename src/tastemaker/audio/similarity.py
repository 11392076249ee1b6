"""A fixed-length, normalised vector per track for content neighbours (cosine similarity).

Features are placed on comparable scales around typical catalogue values, key is placed on the
circle of fifths (so C and G are near, C and F# far) and weighted by how sure we are of it, and the
vector is L2-normalised so that a dot product is the cosine similarity the ANN index uses.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from tastemaker.audio.model import AudioFeatures

VECTOR_FIELDS = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "speechiness",
    "tempo",
    "valence",
    "mode",
    "fifths_x",
    "fifths_y",
)
# Typical centres and spreads of each feature in a music catalogue, so one unit means "one typical
# difference" for every dimension.
_CENTRE = {"loudness": -9.0, "tempo": 120.0}
_SPREAD = {"loudness": 6.0}


def feature_vector(features: AudioFeatures, key_confidence: float = 1.0) -> npt.NDArray[np.float32]:
    values = [
        (features.acousticness - 0.3) / 0.3,
        (features.danceability - 0.55) / 0.18,
        (features.energy - 0.6) / 0.22,
        (features.instrumentalness - 0.2) / 0.35,
        (features.liveness - 0.2) / 0.2,
        (features.loudness - _CENTRE["loudness"]) / _SPREAD["loudness"],
        (features.speechiness - 0.1) / 0.12,
        math.log2(max(features.tempo, 1.0) / _CENTRE["tempo"]) / 0.3,
        (features.valence - 0.5) / 0.25,
        (features.mode - 0.6) / 0.5 * 0.5,
    ]
    if features.key >= 0:
        angle = 2 * math.pi * ((features.key * 7) % 12) / 12
        weight = 0.5 * key_confidence
        values += [weight * math.cos(angle), weight * math.sin(angle)]
    else:
        values += [0.0, 0.0]
    vector = np.array(values, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
