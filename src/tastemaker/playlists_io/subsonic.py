"""Push a playlist to a Subsonic-API server (Navidrome, Airsonic, Gonic, ...).

The server knows its own songs by its own ids, so each track is looked up with ``search3`` ("artist
title", then the title alone) and the best hit is taken: same title and artist after normalising case,
width, spacing and punctuation (an artist credited as "A feat. B" on the server still matches "A"),
the closest duration breaking ties. Tracks with no such hit are reported, never guessed. Then one
``createPlaylist`` call, sent as a form POST so that long playlists do not overflow a URL.

Authentication is the token scheme of API 1.13+: ``t = md5(password + salt)`` with a fresh salt per
request, so the password itself never travels. Error responses (``status: "failed"``) and network
failures become a ``SubsonicError`` whose message says what to fix.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tastemaker.errors import TastemakerError
from tastemaker.events.identity import normalize_name
from tastemaker.playlists_io.entries import Entry

API_VERSION = "1.16.1"
CLIENT = "tastemaker"
_HINTS = {
    40: "check --subsonic-user and --subsonic-password",
    41: "the server does not accept token authentication for this user (an LDAP account?)",
    50: "this user may not create playlists on the server",
}
_NOT_WORD = re.compile(r"[^\w]+")
_DURATION_SLACK_S = 10


class SubsonicError(TastemakerError):
    """The server answered with an error, or could not be reached; ``code`` is Subsonic's error code."""

    def __init__(self, msg: str, *, code: int | None = None) -> None:
        super().__init__(msg)
        self.code = code


@dataclass(slots=True)
class PushReport:
    """What a push did: the server's playlist id, and which tracks found no song there."""

    playlist_id: str | None
    matched: int = 0
    unmatched: list[Entry] = field(default_factory=list)


class SubsonicClient:
    """A few calls of the Subsonic API over one HTTP connection pool; use it as a context manager."""

    def __init__(self, url: str, user: str, password: str, *, timeout_s: float = 30) -> None:
        self.url = url.rstrip("/")
        self._user = user
        self._password = password
        self._http = httpx.Client(timeout=timeout_s)

    def __enter__(self) -> SubsonicClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def call(self, method: str, params: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        """The ``subsonic-response`` object of a successful call."""
        salt = secrets.token_hex(8)
        auth = [
            ("u", self._user),
            ("t", hashlib.md5((self._password + salt).encode(), usedforsecurity=False).hexdigest()),
            ("s", salt),
            ("v", API_VERSION),
            ("c", CLIENT),
            ("f", "json"),
        ]
        endpoint = f"{self.url}/rest/{method}.view"
        try:
            response = self._http.post(endpoint, data=_form([*auth, *params]))
        except httpx.HTTPError as exc:
            msg = f"cannot reach the Subsonic server at {self.url}: {exc}"
            raise SubsonicError(msg) from None
        return self._body(method, response)

    def _body(self, method: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()["subsonic-response"]
        except (ValueError, KeyError, TypeError):
            msg = (
                f"{self.url}: {method} answered HTTP {response.status_code} without a Subsonic response; "
                "is this the server's base URL?"
            )
            raise SubsonicError(msg) from None
        if not isinstance(body, dict):
            msg = f"{self.url}: {method} answered a malformed Subsonic response"
            raise SubsonicError(msg)
        if body.get("status") != "ok":
            error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
            code = error.get("code") if isinstance(error.get("code"), int) else None
            text = f"{self.url}: {method} failed: {error.get('message') or 'no message'} (error {code})"
            hint = _HINTS.get(code) if code is not None else None
            raise SubsonicError(f"{text}; {hint}" if hint else text, code=code)
        return body

    def find_song(self, entry: Entry) -> str | None:
        """The server's id of the song that is this entry, or None."""
        if entry.title is None:
            return None
        queries = [f"{entry.artist} {entry.title}", entry.title] if entry.artist else [entry.title]
        for query in queries:
            found = self.call(
                "search3", [("query", query), ("songCount", "20"), ("artistCount", "0"), ("albumCount", "0")]
            )
            songs = found.get("searchResult3", {}).get("song", [])
            best = _best_match(entry, songs if isinstance(songs, list) else [])
            if best is not None:
                return best
        return None

    def create_playlist(self, name: str, song_ids: Sequence[str]) -> str | None:
        """Create the playlist; its id when the server says it (API 1.14+ returns the playlist)."""
        body = self.call("createPlaylist", [("name", name), *(("songId", song) for song in song_ids)])
        playlist = body.get("playlist")
        return str(playlist["id"]) if isinstance(playlist, dict) and "id" in playlist else None


def push_playlist(client: SubsonicClient, name: str, entries: Sequence[Entry]) -> PushReport:
    """Match every entry on the server and create the playlist from the matches, in order."""
    client.call("ping")  # wrong credentials fail here, before any search
    song_ids: list[str] = []
    unmatched: list[Entry] = []
    for entry in entries:
        song = client.find_song(entry)
        if song is None:
            unmatched.append(entry)
        else:
            song_ids.append(song)
    if not song_ids:
        msg = f"none of the {len(entries)} tracks was found on {client.url}; no playlist created"
        raise SubsonicError(msg)
    return PushReport(client.create_playlist(name, song_ids), len(song_ids), unmatched)


def _form(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    """httpx takes repeated form fields (``songId``) as a list per name."""
    form: dict[str, list[str]] = {}
    for name, value in params:
        form.setdefault(name, []).append(value)
    return form


def _key(text: Any) -> str:
    """Name for comparison: normalised, punctuation dropped ("Don’t Stop" == "dont stop")."""
    return _NOT_WORD.sub("", normalize_name(text)) if isinstance(text, str) else ""


def _best_match(entry: Entry, songs: list[Any]) -> str | None:
    title, artist = _key(entry.title), _key(entry.artist)
    best: tuple[int, float] | None = None
    best_id: str | None = None
    for song in songs:
        if not isinstance(song, dict) or "id" not in song or _key(song.get("title")) != title:
            continue
        song_artist = _key(song.get("artist"))
        if song_artist == artist:
            score = 2
        elif artist and artist in song_artist:
            score = 1
        else:
            continue
        seconds = song.get("duration")
        off = (
            abs(seconds - entry.duration_ms / 1000)
            if isinstance(seconds, int | float) and entry.duration_ms is not None
            else _DURATION_SLACK_S
        )
        rank = (score + (off < _DURATION_SLACK_S), -off)
        if best is None or rank > best:
            best, best_id = rank, str(song["id"])
    return best_id
