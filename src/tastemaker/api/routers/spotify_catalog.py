"""Catalog reads in Spotify's shape: tracks, artists, audio features and analysis, recommendations.

Audio and recommendations reuse the native routers' code (``audio.py``, ``recommendations.py``); this
module only translates ids and shapes.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath

from tastemaker.api.routers.audio import MAX_IDS, TrackAudioFeatures, features_object
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.api.routers.recommendations import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    catalog_index,
    check_tunable_names,
    tunables_or_400,
)
from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_ids import decode_id, decode_ref, encode_id
from tastemaker.api.routers.spotify_objects import api_base, artist_object, track_object
from tastemaker.api.routers.spotify_params import ids_param, int_param, split_list
from tastemaker.audio.model import AudioFeatures
from tastemaker.audio.records import load_analysis, load_features, load_features_many

MAX_TRACK_IDS = 50
"""Spotify's limit for ``GET /tracks?ids=``."""


def spotify_features(base: str, track_id: str, features: AudioFeatures) -> TrackAudioFeatures:
    """``audio.features_object`` with Spotify ids and absolute links."""
    spotify_id = encode_id(track_id)
    return msgspec.structs.replace(
        features_object(track_id, features),
        id=spotify_id,
        uri=f"spotify:track:{spotify_id}",
        track_href=f"{base}/tracks/{spotify_id}",
        analysis_url=f"{base}/audio-analysis/{spotify_id}",
    )


@get("/v1/tracks/{track_id:str}", summary="Spotify: one track", sync_to_thread=True)
def get_track(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    our_id = decode_id(track_id, "track")
    track = platform_of(request).store.get_track(our_id)
    if track is None:
        raise SpotifyError(404, f"no track {our_id!r} in the catalog")
    return json_response(track_object(api_base(request), track))


@get("/v1/tracks", summary=f"Spotify: up to {MAX_TRACK_IDS} tracks, null for unknown", sync_to_thread=True)
def get_tracks(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal_of(request)
    wanted = ids_param(request, "track", most=MAX_TRACK_IDS)
    found = platform_of(request).store.get_tracks(wanted)
    base = api_base(request)
    return json_response({"tracks": [track_object(base, found[t]) if t in found else None for t in wanted]})


@get("/v1/artists/{artist_id:str}", summary="Spotify: one artist", sync_to_thread=True)
def get_artist(request: Request[Any, Any, Any], artist_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    our_id = decode_id(artist_id, "artist")
    artist = platform_of(request).store.get_artist(our_id)
    if artist is None:
        raise SpotifyError(404, f"no artist {our_id!r} in the catalog")
    return json_response(artist_object(api_base(request), artist))


@get("/v1/audio-features/{track_id:str}", summary="Spotify: a track's audio features", sync_to_thread=True)
def get_audio_features(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    our_id = decode_id(track_id, "track")
    features = load_features(platform_of(request).store, our_id)
    if features is None:
        raise SpotifyError(404, f"track {our_id!r} is unknown or has no audio features yet")
    return json_response(spotify_features(api_base(request), our_id, features))


@get("/v1/audio-features", summary=f"Spotify: audio features of up to {MAX_IDS} tracks", sync_to_thread=True)
def get_several_audio_features(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal_of(request)
    wanted = ids_param(request, "track", most=MAX_IDS)
    found = load_features_many(platform_of(request).store, wanted)
    base = api_base(request)
    return json_response(
        {"audio_features": [spotify_features(base, t, found[t]) if t in found else None for t in wanted]}
    )


@get("/v1/audio-analysis/{track_id:str}", summary="Spotify: a track's audio analysis", sync_to_thread=True)
def get_audio_analysis(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    principal_of(request)
    our_id = decode_id(track_id, "track")
    analysis = load_analysis(platform_of(request).store, our_id)
    if analysis is None:
        raise SpotifyError(404, f"track {our_id!r} is unknown or has no audio analysis yet")
    return json_response(analysis)


def _seeds(request: Request[Any, Any, Any]) -> tuple[list[str], list[str], list[str]]:
    """Seed ids decoded (tracks, artists) or kept (genres); 1 to 5 in all, as Spotify allows."""
    from tastemaker.recommend.seeded import MAX_SEEDS

    query = request.query_params
    lists = [split_list(query.get(name), name, most=MAX_IDS) for name in ("seed_tracks", "seed_artists")]
    genres = split_list(query.get("seed_genres"), "seed_genres", most=MAX_IDS)
    total = sum(map(len, lists)) + len(genres)
    if not 1 <= total <= MAX_SEEDS:
        raise SpotifyError(
            400, f"{total} seeds: give 1 to {MAX_SEEDS} in all (seed_tracks, seed_artists, seed_genres)"
        )
    tracks = [decode_ref(ref, "track") for ref in lists[0]]
    artists = [decode_ref(ref, "artist") for ref in lists[1]]
    return tracks, artists, genres


@get("/v1/recommendations", summary="Spotify: tracks from up to 5 seeds and tunables", sync_to_thread=True)
def get_recommendations(request: Request[Any, Any, Any]) -> Response[bytes]:
    from tastemaker.recommend.seeded import check_seeds_exist, parse_seeds, recommend_seeded

    principal = principal_of(request)
    params = dict(request.query_params.items())
    check_tunable_names(list(params))
    tracks, artists, genres = _seeds(request)
    limit = int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    tunables = tunables_or_400(params)
    model = live_model(request)
    store = platform_of(request).store
    catalog = catalog_index(request, model)
    seeds = parse_seeds(tracks, artists, genres)
    check_seeds_exist(model, catalog, store, seeds)
    result = recommend_seeded(
        model, catalog, store, user_id=principal.name, seeds=seeds, tunables=tunables, limit=limit
    )
    base = api_base(request)
    found = store.get_tracks([pick.item_id for pick in result.picks])
    return json_response(
        {
            "seeds": [
                {
                    "id": seed.id if seed.type == "GENRE" else encode_id(seed.id),
                    "type": seed.type,
                    "href": None
                    if seed.type == "GENRE"
                    else f"{base}/{seed.type.lower()}s/{encode_id(seed.id)}",
                    "initialPoolSize": seed.initialPoolSize,
                    "afterFilteringSize": seed.afterFilteringSize,
                    "afterRelinkingSize": seed.afterFilteringSize,
                }
                for seed in result.seeds
            ],
            "tracks": [track_object(base, found[p.item_id]) for p in result.picks if p.item_id in found],
        }
    )


CATALOG_HANDLERS = [
    get_track,
    get_tracks,
    get_artist,
    get_audio_features,
    get_several_audio_features,
    get_audio_analysis,
    get_recommendations,
]
