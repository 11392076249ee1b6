"""The year's sound: minute-weighted valence, energy, danceability and tempo of the tracks whose audio
features are known, and a short name for it."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

NAME = "audio_mood"


def queries(year: int) -> dict[str, str]:
    return {
        "weighted": """
            SELECT user_id, SUM(ms) AS ms, SUM(ms * valence) AS valence, SUM(ms * energy) AS energy,
                   SUM(ms * danceability) AS danceability, SUM(ms * tempo) AS tempo
            FROM user_tracks WHERE valence IS NOT NULL AND energy IS NOT NULL AND danceability IS NOT NULL
                         AND tempo IS NOT NULL
            GROUP BY user_id
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["weighted"].to_pylist():
        ms = int(row["ms"])
        if ms <= 0:
            continue
        valence = int(row["valence"]) / ms / 1000
        energy = int(row["energy"]) / ms / 1000
        partials.setdefault(row["user_id"], {})["audio_mood"] = {
            "valence": round(valence, 3),
            "energy": round(energy, 3),
            "danceability": round(int(row["danceability"]) / ms / 1000, 3),
            "tempo": round(int(row["tempo"]) / ms / 10, 1),
            "mood": mood_name(valence, energy),
            "features_ms": ms,
        }


def mood_name(valence: float, energy: float) -> str:
    """Russell's circumplex, as the valence × energy plane is usually read."""
    bright = valence >= 0.5
    lively = energy >= 0.5
    if bright and lively:
        return "Bright and energetic"
    if bright:
        return "Warm and mellow"
    if lively:
        return "Intense and restless"
    return "Moody and reflective"
