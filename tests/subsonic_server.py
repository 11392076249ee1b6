"""A small Subsonic-API server on loopback, for testing ``tastemaker playlists push`` for real.

It speaks the protocol as Navidrome does for the calls Tastemaker makes: token authentication
(``t = md5(password + salt)``) on every call, parameters from the query string or a form POST,
``/rest/NAME`` and ``/rest/NAME.view``, JSON (``f=json``) ``subsonic-response`` bodies with
``status: "failed"`` and Subsonic error codes. ``search3`` matches songs whose title, artist and
album have a word starting with each word of the query; created playlists are kept so that tests can
read them back, over the API (``getPlaylists``, ``getPlaylist``) or from ``created``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Song:
    id: str
    title: str
    artist: str
    album: str
    duration: int


@dataclass
class Library:
    users: dict[str, str]
    songs: list[Song]
    created: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


class _Failed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _words(text: str) -> list[str]:
    """Words as Navidrome indexes them: lower case, quotes and apostrophes dropped, punctuation splits."""
    return re.findall(r"\w+", re.sub(r"['’‘\"“”]", "", text.casefold()))


def _matches(query: list[str], words: list[str]) -> bool:
    """Every query word starts some word of the song (Navidrome's search is by word prefix)."""
    return all(any(word.startswith(q) for word in words) for q in query)


def _song_json(song: Song) -> dict[str, Any]:
    return {
        "id": song.id,
        "title": song.title,
        "artist": song.artist,
        "album": song.album,
        "duration": song.duration,
        "isDir": False,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest would show request lines on stderr."""

    def do_GET(self) -> None:
        self._handle(parse_qs(urlsplit(self.path).query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        query = parse_qs(urlsplit(self.path).query)
        self._handle({key: query.get(key, []) + form.get(key, []) for key in query.keys() | form.keys()})

    def _handle(self, params: dict[str, list[str]]) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/rest/"):
            self._send(404, b"<html>not here</html>", "text/html")
            return
        method = path.removeprefix("/rest/").removesuffix(".view")
        library = self.server.library
        library.calls.append(method)
        try:
            self._authenticate(params)
            body = self._call(method, params)
            response: dict[str, Any] = {"status": "ok", **body}
        except _Failed as failed:
            response = {"status": "failed", "error": {"code": failed.code, "message": failed.message}}
        response.update(version="1.16.1", type="test-subsonic")
        self._send(200, json.dumps({"subsonic-response": response}).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authenticate(self, params: dict[str, list[str]]) -> None:
        one = {key: values[0] for key, values in params.items() if values}
        missing = [key for key in ("u", "t", "s", "v", "c") if key not in one]
        if missing:
            raise _Failed(10, f"Required parameter is missing: {missing[0]}")
        if one.get("f") != "json":
            raise _Failed(0, "this test server answers JSON only")
        password = self.server.library.users.get(one["u"])
        expected = hashlib.md5((f"{password}{one['s']}").encode(), usedforsecurity=False).hexdigest()
        if password is None or one["t"] != expected:
            raise _Failed(40, "Wrong username or password")

    def _call(self, method: str, params: dict[str, list[str]]) -> dict[str, Any]:
        library = self.server.library
        if method == "ping":
            return {}
        if method == "search3":
            words = _words((params.get("query") or [""])[0])
            count = int((params.get("songCount") or ["20"])[0])
            found = [s for s in library.songs if _matches(words, _words(f"{s.title} {s.artist} {s.album}"))]
            return {"searchResult3": {"song": [_song_json(s) for s in found[:count]]} if found else {}}
        if method == "createPlaylist":
            name = (params.get("name") or [""])[0]
            if not name:
                raise _Failed(10, "Required parameter is missing: name")
            known = {s.id: s for s in library.songs}
            songs = params.get("songId", [])
            if any(song not in known for song in songs):
                raise _Failed(70, "Song not found")
            playlist = {"id": str(len(library.created) + 1), "name": name, "songs": songs}
            library.created.append(playlist)
            return {"playlist": self._playlist_json(playlist)}
        if method == "getPlaylists":
            return {
                "playlists": {"playlist": [self._playlist_json(p, entries=False) for p in library.created]}
            }
        if method == "getPlaylist":
            wanted = (params.get("id") or [""])[0]
            for playlist in library.created:
                if playlist["id"] == wanted:
                    return {"playlist": self._playlist_json(playlist)}
            raise _Failed(70, "Playlist not found")
        raise _Failed(0, f"unknown method {method}")

    def _playlist_json(self, playlist: dict[str, Any], *, entries: bool = True) -> dict[str, Any]:
        known = {s.id: s for s in self.server.library.songs}
        data: dict[str, Any] = {
            "id": playlist["id"],
            "name": playlist["name"],
            "songCount": len(playlist["songs"]),
        }
        if entries:
            data["entry"] = [_song_json(known[song]) for song in playlist["songs"]]
        return data


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, library: Library) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.library = library


@contextmanager
def subsonic_server(library: Library) -> Iterator[str]:
    """Serve ``library`` on a free loopback port; yields the base URL (as a user would pass it)."""
    server = _Server(library)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
