"""Playlists in Spotify's shape: create and add through the event log, read from the Store.

Creating a playlist or adding tracks appends ``playlist_create``/``playlist_add`` events, validated
by ``events.ingest.validate_items`` as ``POST /v1/events`` does: the log is the one source of truth and
the archiver writes the playlist row. The response is built from the events, so it does not wait for
the archiver. A Spotify playlist id names the owner, the kind (``user`` for created playlists, or a
generated kind such as Discover Weekly) and our playlist id, since the Store keeps playlists by owner.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_ids import decode_id, decode_ref, encode_id
from tastemaker.api.routers.spotify_objects import (
    api_base,
    paging,
    playlist_object,
    track_object,
    user_object,
)
from tastemaker.api.routers.spotify_params import int_param, split_list
from tastemaker.events.ingest import validate_items
from tastemaker.events.schema import Event
from tastemaker.storage.models import Playlist

SEPARATOR = "\x1f"
"""Between owner, kind and playlist id inside a playlist's Spotify id (no name or id holds it)."""
USER_KIND = "user"
MAX_ADD = 100


def playlist_spotify_id(owner: str, kind: str, playlist_id: str) -> str:
    return encode_id(SEPARATOR.join((owner, kind, playlist_id)))


def _parts(spotify_id: str) -> tuple[str, str, str]:
    parts = decode_id(spotify_id, "playlist").split(SEPARATOR)
    if len(parts) != 3 or not all(parts):
        raise SpotifyError(400, f"invalid playlist id {spotify_id[:80]!r}: not a Tastemaker playlist id")
    return parts[0], parts[1], parts[2]


def _append(request: Request[Any, Any, Any], items: list[dict[str, Any]]) -> list[Event]:
    """Validate and append as ``POST /v1/events`` does; any invalid item rejects the request."""
    platform = platform_of(request)
    principal = principal_of(request)
    events, errors = validate_items(
        items,
        now=datetime.now(UTC),
        future_tolerance=timedelta(seconds=platform.config["future_tolerance_s"]),
        user=principal.name,
        admin=principal.admin,
    )
    if errors:
        raise SpotifyError(400, str(errors[0]["msg"]))
    platform.event_log.append(events)
    request.app.state.metrics.events_accepted.inc(len(events))
    return events


async def _json_body(request: Request[Any, Any, Any]) -> Any:
    body = await request.body()
    if not body.strip():
        return None
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise SpotifyError(400, f"request body is not valid JSON: {exc}") from None


def _create(request: Request[Any, Any, Any], owner: str | None, document: Any) -> dict[str, Any]:
    """Create for ``owner``, or for the token's user when None."""
    principal = principal_of(request)
    owner = owner or principal.name
    principal.require_user(owner)
    if not isinstance(document, dict):
        raise SpotifyError(
            400, 'request body must be a JSON object {"name": ..., "description": ..., "public": ...}'
        )
    name, description, public = (
        document.get("name"),
        document.get("description"),
        document.get("public", True),
    )
    if not isinstance(name, str) or not name.strip():
        raise SpotifyError(400, "name is required: a non-empty string")
    if description is not None and not isinstance(description, str):
        raise SpotifyError(400, "description must be a string")
    if not isinstance(public, bool):
        raise SpotifyError(400, "public must be true or false")
    playlist_id = "pl_" + secrets.token_hex(8)
    item = {
        "type": "playlist_create",
        "user_id": owner,
        "ts": datetime.now(UTC).isoformat(),
        "playlist_id": playlist_id,
        "name": name,
        "description": description,
        "public": public,
    }
    (event,) = _append(request, [{k: v for k, v in item.items() if v is not None}])
    playlist = Playlist(
        user_id=owner,
        kind=USER_KIND,
        playlist_id=playlist_id,
        name=name,
        description=description,
        public=public,
        updated_at=event.received_at,
    )
    base = api_base(request)
    spotify_id = playlist_spotify_id(owner, USER_KIND, playlist_id)
    tracks = {"href": f"{base}/playlists/{spotify_id}/tracks", "total": 0}
    return playlist_object(base, spotify_id, playlist, tracks)


@post("/v1/users/{user_id:str}/playlists", summary="Spotify: create a playlist (a playlist_create event)")
async def create_playlist(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    owner = decode_id(user_id, "user")
    document = await _json_body(request)
    return json_response(await anyio.to_thread.run_sync(_create, request, owner, document), 201)


@post("/v1/me/playlists", summary="Spotify: create a playlist for the token's user")
async def create_my_playlist(request: Request[Any, Any, Any]) -> Response[bytes]:
    document = await _json_body(request)
    return json_response(await anyio.to_thread.run_sync(_create, request, None, document), 201)


def _uris(request: Request[Any, Any, Any], document: Any) -> tuple[list[str], int | None]:
    """Track ids and position from ``{"uris": [...], "position": n}``, a bare array or ``?uris=``;
    ``?position=`` goes with any of them (spotipy sends a bare array and the position in the query)."""
    position: Any = (
        int_param(request, "position", 0, 0, 10**9) if "position" in request.query_params else None
    )
    if document is None:
        uris: Any = split_list(request.query_params.get("uris"), "uris", most=MAX_ADD)
    elif isinstance(document, list):
        uris = document
    elif isinstance(document, dict):
        uris, position = document.get("uris"), document.get("position", position)
    else:
        raise SpotifyError(400, 'request body must be {"uris": [...]} or a JSON array of URIs')
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise SpotifyError(400, f"uris is required: 1 to {MAX_ADD} spotify:track: URIs")
    if len(uris) > MAX_ADD:
        raise SpotifyError(400, f"{len(uris)} uris in one request; at most {MAX_ADD} are accepted")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
        raise SpotifyError(400, "position must be an integer >= 0")
    return [decode_ref(uri, "track") for uri in uris], position


def _add(request: Request[Any, Any, Any], playlist_id: str, document: Any) -> dict[str, Any]:
    owner, kind, our_id = _parts(playlist_id)
    principal_of(request).require_user(owner)
    if kind != USER_KIND:
        raise SpotifyError(
            403, f"playlist {our_id!r} is generated ({kind}); only your own playlists take tracks"
        )
    track_ids, position = _uris(request, document)
    found = platform_of(request).store.get_tracks(track_ids)
    missing = [t for t in track_ids if t not in found]
    if missing:
        raise SpotifyError(404, f"no track {missing[0]!r} in the catalog")
    now = datetime.now(UTC).isoformat()
    items = [
        {
            "type": "playlist_add",
            "user_id": owner,
            "ts": now,
            "playlist_id": our_id,
            "track_id": track_id,
            **({} if position is None else {"position": position + index}),
        }
        for index, track_id in enumerate(track_ids)
    ]
    events = _append(request, items)
    return {"snapshot_id": events[-1].event_id}


async def _add_handler(request: Request[Any, Any, Any], playlist_id: str) -> Response[bytes]:
    document = await _json_body(request)
    return json_response(await anyio.to_thread.run_sync(_add, request, playlist_id, document), 201)


@post("/v1/playlists/{playlist_id:str}/items", summary="Spotify: add tracks (playlist_add events)")
async def add_items(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[bytes]:
    return await _add_handler(request, playlist_id)


@post("/v1/playlists/{playlist_id:str}/tracks", summary="Spotify: add tracks (older path of /items)")
async def add_tracks(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[bytes]:
    return await _add_handler(request, playlist_id)


def _stored(request: Request[Any, Any, Any], playlist_id: str) -> tuple[Playlist, str]:
    owner, kind, our_id = _parts(playlist_id)
    principal_of(request).require_user(owner)
    for playlist in platform_of(request).store.get_playlists(owner, kind):
        if playlist.playlist_id == our_id:
            return playlist, playlist_id
    raise SpotifyError(
        404, f"no playlist {our_id!r} of user {owner!r} (a new one appears once the archiver applies it)"
    )


def _items_page(request: Request[Any, Any, Any], playlist: Playlist, spotify_id: str) -> dict[str, Any]:
    limit = int_param(request, "limit", 100, 1, 100)
    offset = int_param(request, "offset", 0, 0, 10**6)
    base = api_base(request)
    page = playlist.track_ids[offset : offset + limit]
    found = platform_of(request).store.get_tracks(page)
    added_at = playlist.updated_at.isoformat() if playlist.updated_at else None
    items = [
        {
            "added_at": added_at,
            "added_by": user_object(base, playlist.user_id),
            "is_local": False,
            "track": track_object(base, found[t]) if t in found else None,
        }
        for t in page
    ]
    url = f"{base}/playlists/{spotify_id}/tracks"
    return paging(url, {}, items, limit=limit, offset=offset, total=len(playlist.track_ids))


@get(
    "/v1/playlists/{playlist_id:str}",
    summary="Spotify: a playlist with its first 100 items",
    sync_to_thread=True,
)
def get_playlist(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[bytes]:
    playlist, spotify_id = _stored(request, playlist_id)
    return json_response(
        playlist_object(api_base(request), spotify_id, playlist, _items_page(request, playlist, spotify_id))
    )


@get(
    "/v1/playlists/{playlist_id:str}/tracks",
    summary="Spotify: a playlist's items, paged",
    sync_to_thread=True,
)
def get_playlist_tracks(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[bytes]:
    playlist, spotify_id = _stored(request, playlist_id)
    return json_response(_items_page(request, playlist, spotify_id))


@get(
    "/v1/playlists/{playlist_id:str}/items", summary="Spotify: a playlist's items, paged", sync_to_thread=True
)
def get_playlist_items(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[bytes]:
    playlist, spotify_id = _stored(request, playlist_id)
    return json_response(_items_page(request, playlist, spotify_id))


PLAYLIST_HANDLERS = [
    create_playlist,
    create_my_playlist,
    add_items,
    add_tracks,
    get_playlist,
    get_playlist_tracks,
    get_playlist_items,
]
