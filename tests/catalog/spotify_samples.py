"""The real Spotify exports in ../shared/data, and an importer-independent count of their music rows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import SHARED_DATA

SAMPLES = SHARED_DATA / "spotify_streaming_history"


def music_rows(folder: Path) -> int:
    """Rows with a track and an artist, counted straight from the raw JSON, independently of the importer."""
    total = 0
    for path in folder.glob("StreamingHistory*.json.gz"):
        rows = json.loads(gzip.decompress(path.read_bytes()))
        total += sum(1 for row in rows if row.get("trackName") and row.get("artistName"))
    return total
