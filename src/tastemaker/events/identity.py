"""Stable identities: event ids from content, track ids from metadata.

Both must be the same in every process and every run (never Python's ``hash()``), because they are
what makes re-sending or re-importing the same thing a no-op.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

import msgspec

from tastemaker.events.schema import EventBase

_canonical = msgspec.json.Encoder(order="sorted")


def normalize_name(text: str) -> str:
    """Case-, width- and whitespace-insensitive form of a name, for matching scrobbles to tracks."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@lru_cache(maxsize=65536)
def _track_id(artist_name: str, track_name: str) -> str:
    key = f"{normalize_name(artist_name)}\x1f{normalize_name(track_name)}".encode()
    return "tm:" + hashlib.blake2b(key, digest_size=12).hexdigest()


def track_id_for(*, artist_name: str, track_name: str) -> str:
    """The catalog id a track named only by metadata resolves to (cached: scrobbles repeat)."""
    return _track_id(artist_name, track_name)


def artist_id_for(artist_name: str) -> str:
    return "ar:" + hashlib.blake2b(normalize_name(artist_name).encode(), digest_size=12).hexdigest()


def album_id_for(*, artist_name: str, album_name: str) -> str:
    key = f"{normalize_name(artist_name)}\x1f{normalize_name(album_name)}".encode()
    return "al:" + hashlib.blake2b(key, digest_size=12).hexdigest()


def content_event_id(event: EventBase) -> str:
    """A stable hash of what the event says, ignoring when it was received and any id it carries."""
    blank = event
    if event.event_id or event.received_at is not None:
        blank = msgspec.structs.replace(event, event_id="", received_at=None)
    return "h:" + hashlib.blake2b(_canonical.encode(blank), digest_size=16).hexdigest()
