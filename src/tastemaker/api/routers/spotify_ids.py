"""Spotify ids for our ids: spotipy accepts only base-62 alphanumerics, and ours hold ``:`` and more.

An id is the base-62 form of the UTF-8 bytes of our id behind a ``0x01`` byte (which keeps leading
zero bytes, and makes a random alphanumeric string unlikely to decode). The encoding is reversible
and needs no table, so any id the store knows has a Spotify id and every Spotify id names one of ours.
"""

from __future__ import annotations

from tastemaker.api.routers.spotify_errors import SpotifyError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_MARK = b"\x01"
MAX_LENGTH = 512
"""Longer than any encoded store id (ids are at most 256 bytes); keeps decoding cheap."""


def encode_id(our_id: str) -> str:
    number = int.from_bytes(_MARK + our_id.encode(), "big")
    digits: list[str] = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits))


def decode_id(spotify_id: str, kind: str = "track") -> str:
    """Our id behind a Spotify id, or a 400 that names the bad id."""
    if not spotify_id or len(spotify_id) > MAX_LENGTH or any(c not in _VALUE for c in spotify_id):
        raise SpotifyError(400, f"invalid {kind} id {spotify_id[:80]!r}: expected a base-62 Tastemaker id")
    number = 0
    for char in spotify_id:
        number = number * 62 + _VALUE[char]
    data = number.to_bytes((number.bit_length() + 7) // 8, "big")
    try:
        if not data.startswith(_MARK):
            raise ValueError
        return data[1:].decode()
    except ValueError:
        raise SpotifyError(400, f"invalid {kind} id {spotify_id[:80]!r}: not a Tastemaker id") from None


def decode_ref(ref: str, kind: str = "track") -> str:
    """Our id behind a Spotify id or a ``spotify:KIND:ID`` URI (query strings and bodies carry both)."""
    ref = ref.strip()
    if ref.startswith("spotify:"):
        parts = ref.split(":")
        if len(parts) != 3 or parts[1] != kind:
            raise SpotifyError(400, f"invalid {kind} URI {ref[:80]!r}: expected spotify:{kind}:ID")
        ref = parts[2]
    return decode_id(ref, kind)
