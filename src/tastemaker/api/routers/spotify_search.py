"""``GET /spotify/v1/search`` over the tracks the server can list without a scan.

The Store is read by partition key only, so there is no catalog listing to search. What the server
can enumerate is the trained model's items (every track played before the last ``train``) and the
caller's Taste Profile tracks; the index is those tracks' names and artists, built once per model
version (the profile part per request). A track added since the last ``train`` and never played by
the caller is not found until the next ``train``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_objects import api_base, paging, simplified_artist, track_object
from tastemaker.api.routers.spotify_params import int_param, split_list
from tastemaker.profiles.profile import decode as decode_profile
from tastemaker.storage.models import Track
from tastemaker.storage.store import Store

if TYPE_CHECKING:
    from tastemaker.recommend.model import Model

SEARCH_TYPES = ("track", "artist")
FIELDS = ("track", "artist")
"""``field:value`` filters of Spotify's query syntax that apply here; other words match anywhere."""
_lock = threading.Lock()


@dataclass(frozen=True)
class SearchIndex:
    model_version: int
    tracks: list[Track]
    """Most popular first, so that equally good matches come back in popularity order."""


def _model_index(request: Request[Any, Any, Any], store: Store) -> SearchIndex:
    """The model's tracks, rebuilt after a new ``train``; empty before the first one."""
    try:
        model: Model | None = live_model(request)
    except ApiError:
        model = None
    version = model.version if model is not None else -1
    state = request.app.state
    with _lock:
        current: SearchIndex | None = state.get("spotify_search")
        if current is None or current.model_version != version:
            ids = [] if model is None else [model.item_ids[i] for i in (-model.item_popularity).argsort()]
            found = store.get_tracks(ids)
            current = SearchIndex(version, [found[t] for t in ids if t in found])
            state.spotify_search = current
        return current


def _profile_tracks(store: Store, user: str, known: set[str]) -> list[Track]:
    data = store.get_profile(user)
    if data is None:
        return []
    wanted = [t for t in decode_profile(data).tracks if t not in known]
    return list(store.get_tracks(wanted).values())


def _terms(query: str) -> tuple[list[str], dict[str, str]]:
    words: list[str] = []
    fields: dict[str, str] = {}
    for word in query.lower().split():
        name, sep, value = word.partition(":")
        if sep and name in FIELDS and value:
            fields[name] = f"{fields[name]} {value}" if name in fields else value
        else:
            words.append(word)
    return words, fields


def _matches(track: Track, words: list[str], fields: dict[str, str]) -> bool:
    name, artist = track.name.lower(), (track.artist_name or "").lower()
    text = f"{name} {artist} {(track.album_name or '').lower()}"
    return (
        all(w in text for w in words)
        and all(w in name for w in fields.get("track", "").split())
        and all(w in artist for w in fields.get("artist", "").split())
    )


@get(
    "/v1/search",
    summary="Spotify: search tracks and artists (model items and your profile)",
    sync_to_thread=True,
)
def search(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    query = request.query_params.get("q", "")
    if not query.strip():
        raise SpotifyError(400, "q is required: the words to search for")
    types = split_list(request.query_params.get("type"), "type", most=len(SEARCH_TYPES)) or ["track"]
    unknown = [t for t in types if t not in SEARCH_TYPES]
    if unknown:
        raise SpotifyError(400, f"type {unknown[0]!r} is not searchable here: expected track or artist")
    limit = int_param(request, "limit", 20, 1, 50)
    offset = int_param(request, "offset", 0, 0, 1000)
    store = platform_of(request).store
    index = _model_index(request, store)
    known = {t.track_id for t in index.tracks}
    words, fields = _terms(query)
    hits = [
        t
        for t in [*index.tracks, *_profile_tracks(store, principal.name, known)]
        if _matches(t, words, fields)
    ]
    base = api_base(request)
    url, params = f"{base}/search", {"q": query, "type": ",".join(types)}
    body: dict[str, Any] = {}
    if "track" in types:
        page = [track_object(base, t) for t in hits[offset : offset + limit]]
        body["tracks"] = paging(url, params, page, limit=limit, offset=offset, total=len(hits))
    if "artist" in types:
        artists = {t.artist_id: t.artist_name for t in hits if t.artist_id}
        page = [simplified_artist(base, a, n) for a, n in list(artists.items())[offset : offset + limit]]
        body["artists"] = paging(url, params, page, limit=limit, offset=offset, total=len(artists))
    return json_response(body)
