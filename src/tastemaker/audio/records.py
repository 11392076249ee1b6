"""How audio results are kept in the Store: features as a mapping, the analysis as compressed JSON.

The features row carries ``algorithm_version`` and the similarity ``vector`` beside Spotify's fields,
so readers can tell stale rows and the recommenders need no second lookup. The analysis is large
(hundreds of segments), so it lives in its own table as zlib-compressed JSON, read only on request.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import msgspec

from tastemaker.audio.model import AudioAnalysis, AudioFeatures, AudioResult
from tastemaker.storage.store import Store

FEATURE_FIELDS = tuple(AudioFeatures.__struct_fields__)
_ANALYSIS_DECODER = msgspec.json.Decoder(AudioAnalysis)


def save_result(store: Store, track_id: str, result: AudioResult) -> None:
    """Write features (and the analysis when present); the analysis first, so a reader that sees
    features of the current version can also find its analysis."""
    if result.analysis is not None:
        store.put_analysis(track_id, zlib.compress(msgspec.json.encode(result.analysis), 6))
    row: dict[str, Any] = msgspec.structs.asdict(result.features)
    row["vector"] = list(result.vector)
    store.put_features(track_id, row)


def features_of(row: dict[str, Any] | None) -> AudioFeatures | None:
    """A stored row as features; None for no row, or one of another shape (written before audio
    features existed, or by an incompatible version): readers treat those as not analysed yet."""
    if row is None:
        return None
    try:
        return msgspec.convert({k: row[k] for k in FEATURE_FIELDS if k in row}, AudioFeatures)
    except msgspec.ValidationError:
        return None


def load_features(store: Store, track_id: str) -> AudioFeatures | None:
    return features_of(store.get_features(track_id))


def load_features_many(store: Store, track_ids: Iterable[str]) -> dict[str, AudioFeatures]:
    """Features of those tracks that have some, in one multi-get."""
    rows = store.get_features_many(track_ids)
    return {track_id: f for track_id, row in rows.items() if (f := features_of(row)) is not None}


def load_vectors_many(store: Store, track_ids: Iterable[str]) -> dict[str, list[float]]:
    """Similarity vectors of those tracks that have one, in one multi-get."""
    rows = store.get_features_many(track_ids)
    return {track_id: [float(x) for x in row["vector"]] for track_id, row in rows.items() if "vector" in row}


def load_analysis(store: Store, track_id: str) -> AudioAnalysis | None:
    data = store.get_analysis(track_id)
    return None if data is None else _ANALYSIS_DECODER.decode(zlib.decompress(data))
