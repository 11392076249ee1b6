"""The archiver consumer: listening history and the catalog, from the log into the Store, and every
event into the Parquet archive (Sort-Merge-Bucket layout) that the Wrapped job reads.

Listens are written idempotently on (user, event_id). Tracks named only by metadata are created
in the catalog the first time they are seen ("scrobblers only know names"); ``track_added``
events upsert the full catalog row. Likes maintain the user's "liked" playlist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tastemaker.catalog.track_cache import TrackCache
from tastemaker.events.identity import album_id_for, artist_id_for
from tastemaker.events.log import Record
from tastemaker.events.schema import (
    Event,
    Like,
    Play,
    PlaylistAdd,
    PlaylistCreate,
    Skip,
    TrackAdded,
    TrackRef,
    Unlike,
)
from tastemaker.storage.models import Album, Artist, Listen, Playlist, Track
from tastemaker.storage.store import Store

if TYPE_CHECKING:
    from tastemaker.storage.archive import Archive

LIKED = "liked"


def _track_from_ref(event: TrackRef) -> Track | None:
    if not (event.track_id and event.track_name and event.artist_name):
        return None
    artist_id = artist_id_for(event.artist_name)
    album_id = (
        album_id_for(artist_name=event.artist_name, album_name=event.album_name) if event.album_name else None
    )
    return Track(
        track_id=event.track_id,
        name=event.track_name,
        artist_id=artist_id,
        artist_name=event.artist_name,
        album_id=album_id,
        album_name=event.album_name,
        duration_ms=event.duration_ms,
        isrc=event.isrc,
        recording_mbid=event.recording_mbid,
    )


def track_from_added(event: TrackAdded) -> Track:
    """The catalog row a ``track_added`` event describes (shared by the archiver and the catalog consumer)."""
    return Track(
        track_id=event.track_id,
        name=event.track_name,
        artist_id=event.artist_id or artist_id_for(event.artist_name),
        artist_name=event.artist_name,
        album_id=event.album_id
        or (
            album_id_for(artist_name=event.artist_name, album_name=event.album_name)
            if event.album_name
            else None
        ),
        album_name=event.album_name,
        duration_ms=event.duration_ms,
        release_date=event.release_date,
        genres=list(event.genres),
        isrc=event.isrc,
        popularity=event.popularity,
        audio_url=event.audio_url,
    )


def _listen(event: Play | Skip, track: Track | None) -> Listen:
    return Listen(
        user_id=event.user_id,
        event_id=event.event_id,
        ts=event.ts,
        track_id=event.track_id or "",
        kind="skip" if isinstance(event, Skip) else "play",
        ms_played=event.ms_played,
        track_name=event.track_name or (track.name if track else None),
        artist_name=event.artist_name or (track.artist_name if track else None),
        album_name=event.album_name or (track.album_name if track else None),
        context=event.context,
    )


class Archiver:
    name = "archiver"

    def __init__(self, store: Store, tracks: TrackCache, archive: Archive | None = None) -> None:
        self.store = store
        self.tracks = tracks
        self.archive = archive

    def handle(self, records: Sequence[Record]) -> None:
        self._write_catalog([r.event for r in records])
        events = [r.event for r in records if isinstance(r.event, Play | Skip)]
        ids = {e.track_id for e in events if e.track_id and not (e.track_name and e.artist_name)}
        known = self.tracks.get_many(ids) if ids else {}
        self.store.add_listens([_listen(e, known.get(e.track_id or "")) for e in events])
        for record in records:
            if isinstance(record.event, PlaylistCreate | PlaylistAdd | Like | Unlike):
                self._apply_playlist_event(record)
        if self.archive is not None:
            self.archive.append([r.event for r in records])  # durable before the runner commits
            self.archive.compact(self.archive.days_due())

    def _write_catalog(self, events: list[Event]) -> None:
        new: dict[str, Track] = {}
        for event in events:
            if isinstance(event, TrackAdded):
                new[event.track_id] = track_from_added(event)
            elif isinstance(event, TrackRef) and event.track_id and event.track_id not in self.tracks:
                track = _track_from_ref(event)
                if track is not None:
                    new.setdefault(track.track_id, track)
        if not new:
            return
        tracks = list(new.values())
        self.store.put_tracks(tracks)
        artists = {
            t.artist_id: Artist(artist_id=t.artist_id, name=t.artist_name, genres=t.genres)
            for t in tracks
            if t.artist_id and t.artist_name
        }
        self.store.put_artists(list(artists.values()))
        albums = {
            t.album_id: Album(
                album_id=t.album_id,
                name=t.album_name,
                artist_id=t.artist_id,
                artist_name=t.artist_name,
                release_date=t.release_date,
            )
            for t in tracks
            if t.album_id and t.album_name
        }
        self.store.put_albums(list(albums.values()))
        self.tracks.remember(self.store.get_tracks(new).values())

    def _apply_playlist_event(self, record: Record) -> None:
        """Playlists live in their owner's partition, so the last applied offset makes replays no-ops."""
        event = record.event
        if isinstance(event, PlaylistCreate | PlaylistAdd):
            kind, playlist_id = "user", event.playlist_id
        else:
            kind, playlist_id = LIKED, LIKED
        existing = {p.playlist_id: p for p in self.store.get_playlists(event.user_id, kind)}
        playlist = existing.get(playlist_id) or Playlist(
            user_id=event.user_id,
            kind=kind,
            playlist_id=playlist_id,
            name="Liked Songs" if kind == LIKED else "",
        )
        key = f"offset:{record.partition}"
        if record.offset <= playlist.extra.get(key, -1):
            return
        if isinstance(event, PlaylistCreate):
            playlist.name, playlist.description, playlist.public = event.name, event.description, event.public
        elif isinstance(event, PlaylistAdd | Like) and event.track_id:
            position = getattr(event, "position", None)
            ids = (
                [t for t in playlist.track_ids if t != event.track_id]
                if isinstance(event, Like)
                else playlist.track_ids
            )
            ids.insert(len(ids) if position is None else min(position, len(ids)), event.track_id)
            playlist.track_ids = ids
        elif isinstance(event, Unlike):
            playlist.track_ids = [t for t in playlist.track_ids if t != event.track_id]
        playlist.extra = {**playlist.extra, key: record.offset}
        playlist.updated_at = datetime.now(UTC)
        self.store.put_playlists([playlist])
