"""Harness: a file for one of the importers (Spotify, ListenBrainz, Last.fm CSV, Maloja; picked by the
first byte), read to the end. Expected failures are ``ImportFailed`` for the file and an
``ImportProblem`` per bad row; anything else that escapes is a crash (the import would die mid-way)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOW = datetime(2025, 6, 1, tzinfo=UTC)
FILE_NAMES = (
    "StreamingHistory0.json",
    "Streaming_History_Audio_2024.json",
    "listens.jsonl",
    "scrobbles.csv",
    "maloja_export_1.json",
)


def load() -> Callable[[bytes], None]:
    from tastemaker.catalog.importers.lastfm_csv import iter_lastfm_csv_events
    from tastemaker.catalog.importers.listenbrainz import iter_listenbrainz_events
    from tastemaker.catalog.importers.maloja import iter_maloja_events
    from tastemaker.catalog.importers.report import ImportFailed
    from tastemaker.catalog.importers.spotify import iter_spotify_events

    readers: dict[str, Callable[[Path], Iterator[Any]]] = {
        ".json": lambda path: iter_spotify_events(path, user="fuzz", now=NOW, include_private=True),
        ".jsonl": lambda path: iter_listenbrainz_events(path, user=None, now=NOW),
        ".csv": lambda path: iter_lastfm_csv_events(path, user="fuzz", now=NOW),
        "maloja": lambda path: iter_maloja_events(path, user="fuzz", now=NOW),
    }
    folder = Path(tempfile.mkdtemp(prefix="fuzz-importers-"))

    def one_input(data: bytes) -> None:
        if not data:
            return
        name = FILE_NAMES[data[0] % len(FILE_NAMES)]
        path = folder / name
        path.write_bytes(data[1:])
        reader = readers["maloja" if name.startswith("maloja") else path.suffix]
        try:
            for _item in reader(path):
                pass
        except ImportFailed:
            return
        finally:
            path.unlink()

    return one_input


if __name__ == "__main__":
    from tests.fuzz._atheris import fuzz

    fuzz(load)
