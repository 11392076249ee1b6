"""Stable seeds and uniforms derived from a key, so that every part of the world is reproducible alone.

Python's ``hash()`` is salted per process, so it would make two runs differ; a keyed BLAKE2b digest is
the same everywhere. Deriving each listener's, day's and session's randomness from its own key (rather
than from one shared generator) means a listener's events do not depend on how many other listeners
there are, and day ``d`` does not depend on how many days follow it.
"""

from __future__ import annotations

import hashlib
import struct

_UNPACK16 = struct.Struct("<16I").unpack
_SCALE32 = 1.0 / 4294967296.0


def stable_seed(*parts: int | str) -> int:
    """A 64-bit seed for ``random.Random`` from a key such as ``(seed, "listener", 42)``."""
    key = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def uniforms16(*parts: int | str) -> list[float]:
    """Sixteen uniforms in [0, 1) from a key; cheaper than seeding a generator for a few draws."""
    key = "\x1f".join(map(str, parts)).encode()
    words = _UNPACK16(hashlib.blake2b(key, digest_size=64).digest())
    return [word * _SCALE32 for word in words]


def short_digest(*parts: int | str) -> str:
    """Six hex digits naming a configuration, used inside event ids."""
    key = "\x1f".join(map(str, parts)).encode()
    return hashlib.blake2b(key, digest_size=3).hexdigest()
