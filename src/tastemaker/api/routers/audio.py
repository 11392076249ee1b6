"""Spotify's audio endpoints under ``/v1``: audio features (one track or up to 100) and audio analysis.

Spotify retired ``audio-features`` and ``audio-analysis`` for new apps in November 2024. These answer
in the same shape, field names and links, so a client written against Spotify (spotipy's
``audio_features()``, beets plugins) needs only a new base URL and token. Audio describes the track,
not a listener, so any authenticated user may read it, as with ``GET /v1/tracks/{id}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Request, Response, Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.audio.model import AudioAnalysis, AudioFeatures
from tastemaker.audio.records import load_analysis, load_features, load_features_many
from tastemaker.errors import NotFound
from tastemaker.storage.store import Store

MAX_IDS = 100
"""Spotify's limit for ``GET /v1/audio-features?ids=``; it keeps one request's store reads bounded."""


class TrackAudioFeatures(AudioFeatures, kw_only=True):
    """Spotify's audio-features object: the 12 features, ``duration_ms``, and the track's links."""

    id: str
    uri: str
    track_href: str
    analysis_url: str
    type: Literal["audio_features"] = "audio_features"


class SeveralAudioFeatures(msgspec.Struct, kw_only=True):
    """One entry per requested id, in request order; null where the track has no features."""

    audio_features: list[TrackAudioFeatures | None]


class ErrorItem(msgspec.Struct):
    loc: list[str | int]
    type: str
    msg: str


class ErrorBody(msgspec.Struct):
    """The one error shape of ``api/errors.py``, declared here so that OpenAPI shows it."""

    ok: bool
    status: int
    error: str
    errors: list[ErrorItem]


def _spec(data_container: Any, description: str) -> ResponseSpec:
    """Declare what a handler answers, since it returns encoded bytes (Litestar would generate random
    examples, such as a liveness of -1.9e13, that mislead more than they help)."""
    return ResponseSpec(data_container=data_container, description=description, generate_examples=False)


def _error_spec(description: str) -> ResponseSpec:
    return _spec(ErrorBody, description)


_UNAUTHORIZED = _error_spec("No token, or a token that matches no user")


def features_object(track_id: str, features: AudioFeatures) -> TrackAudioFeatures:
    """Stored features plus the identity and links Spotify's object carries (hrefs are URL-quoted)."""
    href = f"/v1/tracks/{quote(track_id, safe=':')}"
    return TrackAudioFeatures(
        **msgspec.structs.asdict(features),
        id=track_id,
        uri=f"tastemaker:track:{track_id}",
        track_href=href,
        analysis_url=f"{href}/audio-analysis",
    )


def _missing(store: Store, track_id: str, what: str) -> NotFound:
    """Say whether the track is unknown or only not analysed yet: the fixes differ."""
    if store.get_track(track_id) is None:
        return NotFound(f"no track {track_id!r} in the catalog")
    return NotFound(
        f"track {track_id!r} has no audio {what} yet: `tastemaker scan` or the catalog consumer "
        "computes it from the track's audio file"
    )


@get(
    "/tracks/{track_id:str}/audio-features",
    summary="A track's audio features (Spotify's audio-features object)",
    sync_to_thread=True,
    responses={
        200: _spec(TrackAudioFeatures, "The track's audio features"),
        401: _UNAUTHORIZED,
        404: _error_spec("No such track, or the track has not been analysed yet"),
    },
)
def get_audio_features(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    store = platform_of(request).store
    features = load_features(store, track_id)
    if features is None:
        raise _missing(store, track_id, "features")
    return json_response(features_object(track_id, features))


def parse_ids(ids: str | None) -> list[str]:
    """The comma-separated ``ids`` parameter as a list, or a 400 whose items point at each bad id."""
    if ids is None or not ids.strip():
        msg = f"ids is required: 1 to {MAX_IDS} track ids, comma separated (?ids=ID1,ID2)"
        raise ApiError(400, msg, [{"loc": ["query", "ids"], "type": "missing", "msg": msg}])
    parts = [part.strip() for part in ids.split(",")]
    if len(parts) > MAX_IDS:
        msg = f"{len(parts)} ids in one request; at most {MAX_IDS} are accepted (split the request)"
        raise ApiError(400, msg, [{"loc": ["query", "ids"], "type": "too_many_ids", "msg": msg}])
    empty = [
        {"loc": ["query", "ids", index], "type": "empty", "msg": f"id {index + 1} of {len(parts)} is empty"}
        for index, part in enumerate(parts)
        if not part
    ]
    if empty:
        msg = f"{len(empty)} of {len(parts)} ids are empty (a doubled, leading or trailing comma?)"
        raise ApiError(400, msg, empty)
    return parts


@get(
    "/audio-features",
    summary=f"Audio features of up to {MAX_IDS} tracks, null for a track without them",
    sync_to_thread=True,
    responses={
        200: _spec(SeveralAudioFeatures, "One entry per id, in order"),
        400: _error_spec(f"No ids, an empty id, or more than {MAX_IDS} ids"),
        401: _UNAUTHORIZED,
    },
)
def get_several_audio_features(
    request: Request[Any, Any, Any],
    ids: Annotated[
        str | None, QueryParameter(description=f"1 to {MAX_IDS} track ids, comma separated")
    ] = None,
) -> Response[bytes]:
    principal_of(request)
    wanted = parse_ids(ids)
    store = platform_of(request).store
    found = load_features_many(store, wanted)
    return json_response(
        SeveralAudioFeatures(
            audio_features=[
                features_object(track_id, found[track_id]) if track_id in found else None
                for track_id in wanted
            ]
        )
    )


@get(
    "/tracks/{track_id:str}/audio-analysis",
    summary="A track's audio analysis: bars, beats, tatums, sections and segments (Spotify's shape)",
    sync_to_thread=True,
    responses={
        200: _spec(AudioAnalysis, "The track's audio analysis"),
        401: _UNAUTHORIZED,
        404: _error_spec("No such track, or the track has no analysis yet"),
    },
)
def get_audio_analysis(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    store = platform_of(request).store
    analysis = load_analysis(store, track_id)
    if analysis is None:
        raise _missing(store, track_id, "analysis")
    return json_response(analysis)


audio_router = Router(
    path="/v1",
    route_handlers=[get_audio_features, get_several_audio_features, get_audio_analysis],
    tags=["audio"],
)
