"""A small simulated world archived for Wrapped tests: December 2024 as history, then 2025."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tastemaker.events.schema import Event, TrackAdded
from tastemaker.services.archiver import track_from_added
from tastemaker.simulate.stream import events as simulated_events
from tastemaker.simulate.world import World
from tastemaker.storage.archive import Archive
from tastemaker.storage.models import Artist
from tastemaker.storage.sqlite_store import SQLiteStore
from tastemaker.wrapped.dimensions import export_dimensions


@dataclass
class ArchivedWorld:
    events: list[Event]
    archive: Archive
    store: SQLiteStore


def archived_world(
    folder: Path, *, users: int = 60, tracks: int = 800, days: int = 70, buckets: int = 4
) -> ArchivedWorld:
    world = World.build(seed=7, users=users, tracks=tracks, start=date(2024, 12, 1), days=days)
    events = list(simulated_events(world))
    store = SQLiteStore.from_url(f"sqlite:///{folder}/store.db")
    catalog = [track_from_added(e) for e in events if isinstance(e, TrackAdded)]
    store.put_tracks(catalog)
    artists = {
        t.artist_id: Artist(artist_id=t.artist_id, name=t.artist_name or "", genres=t.genres)
        for t in catalog
        if t.artist_id
    }
    store.put_artists(list(artists.values()))
    archive = Archive(str(folder / "archive"), buckets=buckets)
    for start in range(0, len(events), 5000):
        archive.append(events[start : start + 5000])
    archive.compact()
    export_dimensions(archive, store, end=date(2026, 1, 1))
    return ArchivedWorld(events=events, archive=archive, store=store)
