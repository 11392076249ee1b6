"""Export the dimension tables a Wrapped job joins with, from the Store into the archive.

The Store is read by key only (its contract has no scans), so the keys come from the archive itself:
every track and user that appears in the events up to the end of the year. Tracks carry what the
statistics need, denormalised (artist and album names, release year, genres — the artist's when the
track has none — and the four audio features as integers, so every engine sums them exactly).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
from tqdm import tqdm

from tastemaker.engines.base import TRACK_DIMENSION
from tastemaker.engines.duckdb_engine import register_filesystem
from tastemaker.storage.archive import Archive
from tastemaker.storage.models import Artist, Track
from tastemaker.storage.store import Store

CHUNK = 5000
ARTIST_DIMENSION = pa.schema(
    [("artist_id", pa.string()), ("name", pa.string()), ("genres", pa.list_(pa.string()))]
)
USER_DIMENSION = pa.schema([("user_id", pa.string()), ("account", pa.bool_())])


def export_dimensions(archive: Archive, store: Store, *, end: date, progress: bool = False) -> dict[str, int]:
    """Write the tracks, artists and users dimensions for the events before ``end``; returns row counts."""
    files = [p for paths in archive.event_files_by_bucket(date.min, end).values() for p in paths]
    track_ids, user_ids = _distinct_keys(archive, files)
    tracks: dict[str, Track] = {}
    features: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(track_ids), unit=" tracks", file=sys.stderr, disable=not progress, desc="dimensions")
    for chunk in _chunks(track_ids):
        tracks.update(store.get_tracks(chunk))
        features.update(store.get_features_many(chunk))
        bar.update(len(chunk))
    bar.close()
    artists = _artists(store, {t.artist_id for t in tracks.values() if t.artist_id})
    counts = {
        "tracks": archive.write_dimension(
            "tracks", _tracks_table(track_ids, tracks, artists, features), "track_id"
        ),
        "artists": archive.write_dimension("artists", _artists_table(artists), "artist_id"),
        "users": archive.write_dimension("users", _users_table(store, user_ids), "user_id"),
    }
    return counts


def _distinct_keys(archive: Archive, files: list[str]) -> tuple[list[str], list[str]]:
    if not files:
        return [], []
    con = duckdb.connect()
    try:
        register_filesystem(con, archive)
        tracks = con.execute(
            "SELECT DISTINCT track_id FROM read_parquet($f) WHERE track_id IS NOT NULL ORDER BY 1",
            {"f": files},
        ).fetchall()
        users = con.execute(
            "SELECT DISTINCT user_id FROM read_parquet($f) ORDER BY 1", {"f": files}
        ).fetchall()
    finally:
        con.close()
    return [t for (t,) in tracks], [u for (u,) in users]


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _artists(store: Store, artist_ids: set[str]) -> dict[str, Artist]:
    found = {}
    for artist_id in sorted(artist_ids):
        artist = store.get_artist(artist_id)
        if artist is not None:
            found[artist_id] = artist
    return found


def _release_year(release_date: str | None) -> int | None:
    if release_date and len(release_date) >= 4 and release_date[:4].isdigit():
        return int(release_date[:4])
    return None


def _scaled(features: dict[str, Any] | None, name: str, scale: int) -> int | None:
    value = (features or {}).get(name)
    return None if value is None else round(float(value) * scale)


def _tracks_table(
    track_ids: list[str],
    tracks: dict[str, Track],
    artists: dict[str, Artist],
    features: dict[str, dict[str, Any]],
) -> pa.Table:
    rows = []
    for track_id in track_ids:
        track = tracks.get(track_id)
        if track is None:
            continue
        artist = artists.get(track.artist_id or "")
        feats = features.get(track_id)
        rows.append(
            {
                "track_id": track_id,
                "track_name": track.name,
                "artist_id": track.artist_id,
                "artist_name": track.artist_name or (artist.name if artist else None),
                "album_id": track.album_id,
                "album_name": track.album_name,
                "release_year": _release_year(track.release_date),
                "genres": list(track.genres) or (list(artist.genres) if artist else []),
                "valence": _scaled(feats, "valence", 1000),
                "energy": _scaled(feats, "energy", 1000),
                "danceability": _scaled(feats, "danceability", 1000),
                "tempo": _scaled(feats, "tempo", 10),
            }
        )
    return pa.Table.from_pylist(rows, schema=TRACK_DIMENSION)


def _artists_table(artists: dict[str, Artist]) -> pa.Table:
    rows = [{"artist_id": a.artist_id, "name": a.name, "genres": list(a.genres)} for a in artists.values()]
    return pa.Table.from_pylist(rows, schema=ARTIST_DIMENSION)


def _users_table(store: Store, user_ids: list[str]) -> pa.Table:
    rows = [{"user_id": u, "account": store.get_user(u) is not None} for u in user_ids]
    return pa.Table.from_pylist(rows, schema=USER_DIMENSION)
