"""Spotify's object shapes (track, artist, album, user, playlist, paging) built from Store rows.

Links are absolute, from the request's base URL, because Spotify's are and clients follow ``next``
and ``href`` as given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request

from tastemaker.api.routers.spotify_ids import encode_id
from tastemaker.storage.models import Artist, Playlist, Track


def api_base(request: Request[Any, Any, Any]) -> str:
    """``http://host:port/spotify/v1``: the prefix every href starts with."""
    return str(request.base_url).rstrip("/") + "/spotify/v1"


def _linked(base: str, kind: str, our_id: str, name: str | None) -> dict[str, Any]:
    spotify_id = encode_id(our_id)
    return {
        "id": spotify_id,
        "name": name,
        "type": kind,
        "uri": f"spotify:{kind}:{spotify_id}",
        "href": f"{base}/{kind}s/{spotify_id}",
        "external_urls": {},
    }


def simplified_artist(base: str, artist_id: str, name: str | None) -> dict[str, Any]:
    return _linked(base, "artist", artist_id, name)


def artist_object(base: str, artist: Artist) -> dict[str, Any]:
    return {
        **_linked(base, "artist", artist.artist_id, artist.name),
        "genres": list(artist.genres),
        "images": [],
        "followers": {"href": None, "total": 0},
        "popularity": 0,
    }


def _artists_of(base: str, track: Track) -> list[dict[str, Any]]:
    if not track.artist_id:
        return []
    return [simplified_artist(base, track.artist_id, track.artist_name)]


def _album_of(base: str, track: Track) -> dict[str, Any] | None:
    if not track.album_id:
        return None
    release = track.release_date
    return {
        **_linked(base, "album", track.album_id, track.album_name),
        "album_type": "album",
        "artists": _artists_of(base, track),
        "images": [],
        "release_date": release,
        "release_date_precision": _precision(release),
        "total_tracks": None,
    }


def _precision(release: str | None) -> str | None:
    if not release:
        return None
    return {4: "year", 7: "month"}.get(len(release), "day")


def track_object(base: str, track: Track) -> dict[str, Any]:
    return {
        **_linked(base, "track", track.track_id, track.name),
        "duration_ms": track.duration_ms,
        "artists": _artists_of(base, track),
        "album": _album_of(base, track),
        "popularity": round(track.popularity) if track.popularity is not None else 0,
        "external_ids": {"isrc": track.isrc} if track.isrc else {},
        "explicit": False,
        "is_local": False,
        "is_playable": True,
        "disc_number": 1,
        "track_number": 1,
        "preview_url": None,
        "genres": list(track.genres),
    }


def user_object(base: str, name: str) -> dict[str, Any]:
    return {
        **_linked(base, "user", name, None),
        "name": None,
        "display_name": name,
        "followers": {"href": None, "total": 0},
        "images": [],
    }


def playlist_object(base: str, spotify_id: str, playlist: Playlist, tracks: dict[str, Any]) -> dict[str, Any]:
    """``tracks`` is the paging object of the playlist's items."""
    return {
        "id": spotify_id,
        "name": playlist.name,
        "type": "playlist",
        "uri": f"spotify:playlist:{spotify_id}",
        "href": f"{base}/playlists/{spotify_id}",
        "external_urls": {},
        "description": playlist.description or "",
        "public": bool(playlist.public),
        "collaborative": False,
        "owner": user_object(base, playlist.user_id),
        "images": [],
        "followers": {"href": None, "total": 0},
        "snapshot_id": str(playlist.updated_at.timestamp()) if playlist.updated_at else "",
        "tracks": tracks,
        "items": tracks,
    }


def paging(
    url: str, params: dict[str, Any], items: list[Any], *, limit: int, offset: int, total: int
) -> dict[str, Any]:
    """Spotify's paging object; ``url`` and ``params`` rebuild the request for ``next``/``previous``."""

    def at(position: int) -> str:
        return f"{url}?{urlencode({**params, 'offset': position, 'limit': limit})}"

    return {
        "href": at(offset),
        "items": items,
        "limit": limit,
        "next": at(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": at(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }
