"""The event schema: msgspec Structs, one per event type, tagged by ``type``.

Events are validated once, at the edge (``events/validate.py``); everything behind the log trusts them.
Unknown fields are kept in ``extra`` so that nothing a client sent is dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 3600 * 1000)]


FULL_LISTEN_MS = 180_000
"""How long a play counts as when its length is unknown: about a median track. Scrobble protocols and
history exports (ListenBrainz, Last.fm, Maloja) only record listens that counted, without saying for
how long; such plays are stored with this ``ms_played`` and ``extra["ms_played_assumed"] = True``, so
they shape taste like a full listen and their minutes are known to be estimates."""


class EventBase(msgspec.Struct, kw_only=True, tag_field="type", omit_defaults=True, gc=False):
    """Fields every event carries. ``ts`` is when it happened (UTC), ``received_at`` when we got it.

    ``gc=False``: events hold only plain values, never cycles, and millions pass through a process.
    """

    user_id: Id
    ts: datetime
    event_id: str = ""
    received_at: datetime | None = None
    extra: dict[str, Any] = {}


class TrackRef(EventBase, kw_only=True):
    """An event about one track, named by catalog ``track_id`` or by metadata (scrobblers know names)."""

    track_id: Id | None = None
    track_name: Name | None = None
    artist_name: Name | None = None
    album_name: Name | None = None
    duration_ms: Millis | None = None
    isrc: str | None = None
    recording_mbid: str | None = None
    release_mbid: str | None = None
    artist_mbids: list[str] | None = None


class Play(TrackRef, tag="play"):
    ms_played: Millis = 0
    context: str | None = None
    reason_start: str | None = None
    reason_end: str | None = None
    shuffle: bool | None = None
    offline: bool | None = None
    platform: str | None = None


class Skip(TrackRef, tag="skip"):
    ms_played: Millis = 0
    context: str | None = None
    reason_end: str | None = None


class Like(TrackRef, tag="like"):
    pass


class Unlike(TrackRef, tag="unlike"):
    pass


class PlaylistCreate(EventBase, tag="playlist_create"):
    playlist_id: Id
    name: Name
    description: str | None = None
    public: bool | None = None


class PlaylistAdd(TrackRef, tag="playlist_add"):
    playlist_id: Id
    position: Annotated[int, msgspec.Meta(ge=0)] | None = None


class Follow(EventBase, tag="follow"):
    target_type: Literal["artist", "user", "playlist"]
    target_id: Id


class Search(EventBase, tag="search"):
    query: Annotated[str, msgspec.Meta(max_length=1024)]


class TrackAdded(EventBase, tag="track_added"):
    """A catalog event: a track (and its artist/album) enters the catalog."""

    track_id: Id
    track_name: Name
    artist_name: Name
    artist_id: Id | None = None
    album_id: Id | None = None
    album_name: Name | None = None
    duration_ms: Millis | None = None
    release_date: str | None = None
    genres: list[str] = []
    isrc: str | None = None
    popularity: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    audio_url: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)] | None = None
    """The track's audio: a local path, a file:// URL or an http(s) URL; the catalog consumer analyses it."""


Event = Play | Skip | Like | Unlike | PlaylistCreate | PlaylistAdd | Follow | Search | TrackAdded
EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (Play, Skip, Like, Unlike, PlaylistCreate, PlaylistAdd, Follow, Search, TrackAdded)
}
TRACK_EVENTS = (Play, Skip, Like, Unlike, PlaylistAdd)

_json_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder(Event)


def to_json(event: EventBase) -> bytes:
    """The stored and wire form of an event: ``{"type": ..., ...}`` with defaults left out."""
    return _json_encoder.encode(event)


def from_json(data: bytes | str) -> Event:
    """Decode a stored event (trusted: it was validated before it was appended)."""
    event: Event = _json_decoder.decode(data)
    return event


def to_builtins(event: EventBase) -> dict[str, Any]:
    """A JSON-ready dict with ``type`` and every field that is set."""
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result
