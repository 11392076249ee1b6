"""A stored playlist resolved to what every export needs: names, duration, and where the audio is.

The Store keeps a playlist as track ids; files and servers want names. Resolving once here keeps the
formats (``m3u``, ``xspf``, ``subsonic``) free of Store access and of the rules for ``audio_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from tastemaker.errors import NotFound
from tastemaker.recommend import daily_mixes as dm
from tastemaker.recommend import discover_weekly as dw
from tastemaker.storage.models import Playlist
from tastemaker.storage.store import Store


@dataclass(frozen=True, slots=True)
class Entry:
    """One track of a playlist; names are None when the track is not in the catalog."""

    track_id: str
    title: str | None
    artist: str | None
    album: str | None
    duration_ms: int | None
    audio_url: str | None

    @property
    def label(self) -> str:
        """``Artist - Title`` as players show it; the track id when the catalog does not know it."""
        if self.title is None:
            return self.track_id
        return f"{self.artist} - {self.title}" if self.artist else self.title

    @property
    def local_path(self) -> Path | None:
        """The audio file on this machine: ``audio_url`` when it is an absolute path or a file:// URL."""
        if not self.audio_url:
            return None
        if self.audio_url.startswith("file://"):
            return Path(url2pathname(urlparse(self.audio_url).path))
        path = Path(self.audio_url)
        return path if path.is_absolute() else None

    @property
    def remote_url(self) -> str | None:
        """``audio_url`` when it is a URL other than file:// (a stream players can open)."""
        if self.audio_url and self.local_path is None and urlparse(self.audio_url).scheme:
            return self.audio_url
        return None


def choose_playlist(store: Store, user_id: str, kind: str, playlist_id: str | None = None) -> Playlist:
    """The playlist asked for; without an id, the newest Discover Weekly or the user's only playlist
    of that kind (several, as with Daily Mixes, need ``playlist_id``: the error lists them)."""
    playlists = store.get_playlists(user_id, kind)
    if not playlists:
        msg = f"{user_id} has no {kind!r} playlist (kinds: discover-weekly, daily-mix, liked, user)"
        raise NotFound(msg)
    ids = sorted(p.playlist_id for p in playlists)
    if playlist_id is not None:
        for playlist in playlists:
            if playlist.playlist_id == playlist_id:
                return playlist
        msg = f"{user_id} has no {kind!r} playlist {playlist_id!r}; there are: {', '.join(ids)}"
        raise NotFound(msg)
    if kind == dw.KIND:
        newest = dw.latest(store, user_id)
        assert newest is not None  # playlists is not empty
        return newest
    if len(playlists) == 1:
        return playlists[0]
    msg = f"{user_id} has {len(playlists)} {kind!r} playlists; pick one with --playlist: {', '.join(ids)}"
    raise NotFound(msg)


def playlist_entries(store: Store, playlist: Playlist) -> list[Entry]:
    """The playlist's tracks in order, with what the catalog knows of each."""
    tracks = store.get_tracks(playlist.track_ids)
    entries = []
    for track_id in playlist.track_ids:
        track = tracks.get(track_id)
        if track is None:
            entries.append(Entry(track_id, None, None, None, None, None))
            continue
        entries.append(
            Entry(
                track_id=track_id,
                title=track.name,
                artist=track.artist_name,
                album=track.album_name,
                duration_ms=track.duration_ms,
                audio_url=track.audio_url,
            )
        )
    return entries


def display_name(playlist: Playlist) -> str:
    """The playlist's name; a generated one gets its id too, since every week's list has the same name."""
    name = playlist.name or playlist.playlist_id
    if playlist.kind in (dw.KIND, dm.KIND) and name != playlist.playlist_id:
        return f"{name} ({playlist.playlist_id})"
    return name
