"""How every Store backend encodes rows: msgspec JSON text, listens keyed by UTC day and milliseconds.

One definition, so a row written by one backend reads the same in another (migrations compare them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def _enc_hook(obj: Any) -> Any:
    """Let numpy scalars and arrays (audio features) be stored without the caller converting them."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    msg = f"cannot store a {type(obj).__name__} value as JSON"
    raise NotImplementedError(msg)


JSON = msgspec.json.Encoder(enc_hook=_enc_hook)
TRACK = msgspec.json.Decoder(Track)
ARTIST = msgspec.json.Decoder(Artist)
ALBUM = msgspec.json.Decoder(Album)
LISTEN = msgspec.json.Decoder(Listen)
PLAYLIST = msgspec.json.Decoder(Playlist)
USER = msgspec.json.Decoder(User)
LIBRARY_FILE = msgspec.json.Decoder(LibraryFile)
DICT = msgspec.json.Decoder(dict[str, Any])


def text(value: Any) -> str:
    return JSON.encode(value).decode()


def listen_key(listen: Listen) -> tuple[str, date, int, str, str]:
    """(user_id, UTC day, ts in ms since the epoch, event_id, data); a naive ``ts`` is read as UTC."""
    ts = listen.ts if listen.ts.tzinfo is not None else listen.ts.replace(tzinfo=UTC)
    day = ts.astimezone(UTC).date()
    return (listen.user_id, day, (ts - EPOCH) // ONE_MS, listen.event_id, text(listen))
