"""Whole-table copying between Stores, for dark-loading migrations (``storage/migrate.py``).

The Store contract has no scans (serving never needs one), but a migration must copy everything. A
backend that can be a migration *source* implements ``Exportable.export_rows``: one table's rows in
primary-key order after a cursor, as the domain objects its write methods take. Writing them to the
target goes through the ordinary Store protocol (so any backend can be a *target*), and comparing
through its ordinary reads. Derived tables (per-day listen counts, the token index) are rebuilt by
those writes and are not copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from tastemaker.storage.models import Listen, Playlist
from tastemaker.storage.store import Store

TABLES = (
    "users",
    "tracks",
    "artists",
    "albums",
    "features",
    "labels",
    "analyses",
    "library_files",
    "listens",
    "profiles",
    "playlists",
    "recaps",
)
"""Every copied table, in copy order (catalog before what refers to it)."""


@dataclass(frozen=True)
class KeyedBytes:
    """A row that is opaque bytes under a key: profiles (user), analyses (track), recaps (user, year)."""

    key: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class KeyedDict:
    """A row that is a JSON object under a track id: features, labels."""

    key: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    rows: list[Any]
    cursor: str | None
    """Where the next batch starts (None: the table is done)."""


@runtime_checkable
class Exportable(Protocol):
    def export_rows(self, table: str, after: str | None, limit: int) -> Batch:
        """Up to ``limit`` rows of ``table`` with keys after the cursor ``after`` (None: from the start)."""
        ...


def write_rows(store: Store, table: str, rows: Sequence[Any]) -> None:
    """Write exported rows through the target's ordinary Store methods (idempotent for every table)."""
    if not rows:
        return
    if table == "users":
        for user in rows:
            store.put_user(user)
    elif table == "tracks":
        store.put_tracks(list(rows))
    elif table == "artists":
        store.put_artists(list(rows))
    elif table == "albums":
        store.put_albums(list(rows))
    elif table in ("features", "labels"):
        put = store.put_features if table == "features" else store.put_labels
        for row in rows:
            put(row.key, row.data)
    elif table == "analyses":
        for row in rows:
            store.put_analysis(row.key[0], row.data)
    elif table == "library_files":
        store.put_library_files(list(rows))
    elif table == "listens":
        store.add_listens(list(rows))
    elif table == "profiles":
        store.put_profiles({row.key[0]: row.data for row in rows})
    elif table == "playlists":
        store.put_playlists(list(rows))
    elif table == "recaps":
        by_year: dict[int, dict[str, bytes]] = {}
        for row in rows:
            by_year.setdefault(int(row.key[1]), {})[row.key[0]] = row.data
        for year, recaps in by_year.items():
            store.put_recaps(year, recaps)
    else:
        msg = f"no table {table!r}; tables: {', '.join(TABLES)}"
        raise ValueError(msg)


def differing_rows(store: Store, table: str, rows: Sequence[Any]) -> list[Any]:
    """The exported ``rows`` that ``store`` lacks or holds differently (read through its Store methods)."""
    if table == "users":
        return [u for u in rows if store.get_user(u.name) != u]
    if table in ("tracks", "artists", "albums"):
        return _differing_catalog(store, table, rows)
    if table in ("features", "labels"):
        found = store.get_features_many([r.key for r in rows]) if table == "features" else None
        if found is not None:
            return [r for r in rows if found.get(r.key) != r.data]
        return [r for r in rows if store.get_labels(r.key) != r.data]
    if table == "analyses":
        return [r for r in rows if store.get_analysis(r.key[0]) != r.data]
    if table == "library_files":
        return [f for f in rows if store.get_library_file(f.path) != f]
    if table == "listens":
        return _differing_listens(store, rows)
    if table == "profiles":
        found_profiles = store.get_profiles([r.key[0] for r in rows])
        return [r for r in rows if found_profiles.get(r.key[0]) != r.data]
    if table == "playlists":
        return _differing_playlists(store, rows)
    if table == "recaps":
        return [r for r in rows if store.get_recap(r.key[0], int(r.key[1])) != r.data]
    msg = f"no table {table!r}; tables: {', '.join(TABLES)}"
    raise ValueError(msg)


def _differing_catalog(store: Store, table: str, rows: Sequence[Any]) -> list[Any]:
    if table == "tracks":
        tracks = store.get_tracks([t.track_id for t in rows])
        return [t for t in rows if tracks.get(t.track_id) != t]
    if table == "artists":
        return [a for a in rows if store.get_artist(a.artist_id) != a]
    return [a for a in rows if store.get_album(a.album_id) != a]


def _differing_listens(store: Store, rows: Sequence[Listen]) -> list[Listen]:
    by_partition: dict[tuple[str, Any], list[Listen]] = {}
    for listen in rows:
        by_partition.setdefault((listen.user_id, listen.ts.date()), []).append(listen)
    differing: list[Listen] = []
    for (user_id, day), listens in by_partition.items():
        stored = {listen.event_id: listen for listen in store.listens(user_id, day)}
        differing += [listen for listen in listens if stored.get(listen.event_id) != listen]
    return differing


def _differing_playlists(store: Store, rows: Sequence[Playlist]) -> list[Playlist]:
    cache: dict[tuple[str, str], dict[str, Playlist]] = {}
    differing = []
    for playlist in rows:
        key = (playlist.user_id, playlist.kind)
        if key not in cache:
            cache[key] = {p.playlist_id: p for p in store.get_playlists(*key)}
        if cache[key].get(playlist.playlist_id) != playlist:
            differing.append(playlist)
    return differing
