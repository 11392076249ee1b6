"""Signed stream URLs: an ``<audio>`` element cannot send an ``Authorization`` header, so
``GET /v1/tracks/{id}`` hands out ``/v1/tracks/{id}/stream?expires=…&sig=…`` instead.

``sig`` is HMAC-SHA256 over ``"{track_id}\\n{expires}"`` with the server's key: a link opens one track
until it expires, for whoever holds it (tracks are catalog data that every user may read). The key is the
setting ``stream_secret`` or, when empty, one generated into ``{data_dir}/stream-secret`` on first use,
so that every process of ``serve --workers N`` and every restart accepts the same links.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from tastemaker.config import Config

SECRET_FILE = "stream-secret"
LIFETIME_S = 6 * 3600
"""How long a link stays valid at least. ``expires`` is rounded up to the hour, so that the URL of a
track stays the same for an hour and the browser's cache of it keeps working."""


def stream_secret(config: Config) -> bytes:
    """The setting, or the key kept in the data folder (created once, readable by its owner only)."""
    if config["stream_secret"]:
        return str(config["stream_secret"]).encode()
    path = config.data_dir / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    return path.read_text(encoding="ascii").strip().encode()


def _create_secret(path: Path) -> None:
    """Write to a private temporary file and link it into place: if another process got there first,
    its key wins and this one is dropped, so that all processes use one key."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process linked its key first: use that
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def signature(secret: bytes, track_id: str, expires: int) -> str:
    return hmac.new(secret, f"{track_id}\n{expires}".encode(), hashlib.sha256).hexdigest()


def is_valid(secret: bytes, track_id: str, expires: str, sig: str, *, now: float) -> bool:
    """True when ``sig`` signs this track and ``expires`` (Unix seconds) is still ahead of ``now``."""
    if not (expires.isascii() and expires.isdigit()) or int(expires) <= now:
        return False
    return hmac.compare_digest(signature(secret, track_id, int(expires)).encode(), sig.lower().encode())


def expiry(now: float, *, lifetime_s: int = LIFETIME_S) -> int:
    return (int(now + lifetime_s) // 3600 + 1) * 3600


def stream_path(secret: bytes, track_id: str, *, now: float) -> str:
    """The signed path of a track's stream, relative to the server: ``/v1/tracks/sim%3At1/stream?…``."""
    expires = expiry(now)
    sig = signature(secret, track_id, expires)
    return f"/v1/tracks/{quote(track_id, safe='')}/stream?expires={expires}&sig={sig}"
