"""Rows of the Store, as msgspec Structs. Every table is reached by its partition key only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Track(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    track_id: str
    name: str
    artist_id: str | None = None
    artist_name: str | None = None
    album_id: str | None = None
    album_name: str | None = None
    duration_ms: int | None = None
    release_date: str | None = None
    genres: list[str] = []
    isrc: str | None = None
    popularity: float | None = None
    recording_mbid: str | None = None
    audio_url: str | None = None
    """Where the track's audio is: an absolute local path (library scans), a file:// or an http(s) URL."""


class Artist(msgspec.Struct, kw_only=True, omit_defaults=True):
    artist_id: str
    name: str
    genres: list[str] = []
    mbid: str | None = None


class Album(msgspec.Struct, kw_only=True, omit_defaults=True):
    album_id: str
    name: str
    artist_id: str | None = None
    artist_name: str | None = None
    release_date: str | None = None


class Listen(msgspec.Struct, kw_only=True):
    """One play or skip in a user's history; ``event_id`` makes writing it idempotent.

    Every field is always written (no ``omit_defaults``): API clients get the same keys on every listen.
    """

    user_id: str
    event_id: str
    ts: datetime
    track_id: str
    kind: str = "play"
    ms_played: int = 0
    track_name: str | None = None
    artist_name: str | None = None
    album_name: str | None = None
    context: str | None = None


class Playlist(msgspec.Struct, kw_only=True, omit_defaults=True):
    user_id: str
    kind: str
    playlist_id: str
    name: str
    track_ids: list[str] = []
    description: str | None = None
    public: bool | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = {}


class User(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An account. The Last.fm-compatible API keeps ``md5(scrobble password)`` because its protocol
    sends ``md5(username + md5(password))``, and the SHA-256 of each Last.fm session key it issued."""

    name: str
    token_hash: str
    admin: bool = False
    created_at: datetime | None = None
    scrobble_password_md5: str | None = None
    lastfm_session_hashes: list[str] = []
    scopes: list[str] = msgspec.field(default_factory=lambda: ["read", "write"])
    """What the token may do (``api/auth.py``); rows from before scopes decode as read+write, and
    ``admin`` adds the admin scope. A revoked user keeps its row with ``token_hash`` ""."""


class LibraryFile(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the last library scan saw of one audio file, so an unchanged file is skipped next time.

    ``algorithm_version`` is the audio algorithm that last analysed it (None when it was only catalogued,
    as with ``scan --no-analysis``); ``error`` ("kind: detail") says that this version failed on it. A
    scan re-analyses a file whose version differs from the current one, failed or not, so a decoder
    fix retries old failures while an unchanged broken file is not retried on every run.
    """

    path: str
    size: int
    mtime_ns: int
    track_id: str
    algorithm_version: str | None = None
    error: str | None = None
    scanned_at: datetime | None = None
