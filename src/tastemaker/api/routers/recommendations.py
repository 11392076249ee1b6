"""``GET /v1/users/{user}/recommendations``: Spotify's retired ``/recommendations``, for one listener.

Seeds (``seed_tracks``, ``seed_artists``, ``seed_genres``, comma separated, 1 to 5 in all), ``limit``
(1–100, default 20) and ``min_``/``max_``/``target_`` tunables for every audio feature. How the tracks
are chosen is in ``recommend/seeded.py`` and docs/recommendations.md.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath, QueryParameter

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.storage.store import Store

if TYPE_CHECKING:  # NumPy and voyager load with the first request, as for the playlists
    from tastemaker.recommend.model import Model
    from tastemaker.recommend.seeded import CatalogIndex, Seeded
    from tastemaker.recommend.tunables import Tunables

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SEED_PARAMETERS = ("seed_tracks", "seed_artists", "seed_genres")
OTHER_PARAMETERS = frozenset({*SEED_PARAMETERS, "limit", "market"})
"""``market`` is accepted and ignored (spotipy sends it; there is one market here)."""

_catalog_lock = threading.Lock()


def catalog_index(request: Request[Any, Any, Any], model: Model) -> CatalogIndex:
    """The model's ``CatalogIndex``, built on first use after each new model version."""
    from tastemaker.recommend.seeded import CatalogIndex

    state = request.app.state
    with _catalog_lock:
        current: CatalogIndex | None = state.get("seeded_catalog")
        if current is None or current.model_version != model.version:
            current = CatalogIndex.build(model, platform_of(request).store)
            state.seeded_catalog = current
        return current


def _error(msg: str, *, name: str, kind: str) -> ApiError:
    return ApiError(400, msg, [{"loc": ["query", name], "type": kind, "msg": msg}])


def _split(name: str, raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        return []
    parts = [part.strip() for part in raw.split(",")]
    if not all(parts):
        msg = f"{name} has an empty id (a doubled, leading or trailing comma?)"
        raise _error(msg, name=name, kind="empty")
    return parts


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        msg = f"limit = {raw!r}: expected an integer from 1 to {MAX_LIMIT}"
        raise _error(msg, name="limit", kind="out_of_range")
    return limit


def check_tunable_names(names: list[str]) -> None:
    from tastemaker.recommend.tunables import is_tunable

    unknown = [name for name in names if name not in OTHER_PARAMETERS and not is_tunable(name)]
    if unknown:
        msg = (
            f"unknown query parameter {unknown[0]!r}: expected seed_tracks, seed_artists, seed_genres, "
            "limit, or min_/max_/target_ followed by an audio feature"
        )
        errors = [{"loc": ["query", n], "type": "unknown_parameter", "msg": msg} for n in unknown]
        raise ApiError(400, msg, errors)


def tunables_or_400(params: dict[str, str]) -> Tunables:
    from tastemaker.recommend.tunables import InvalidTunables, parse_tunables

    try:
        return parse_tunables(params)
    except InvalidTunables as exc:
        raise ApiError(400, str(exc), exc.errors) from exc


def _view(result: Seeded, store: Store) -> dict[str, Any]:
    tracks = store.get_tracks([pick.item_id for pick in result.picks])
    items = []
    for pick in result.picks:
        track = tracks.get(pick.item_id)
        artist = {"id": track.artist_id, "name": track.artist_name} if track else None
        items.append(
            {
                "id": pick.item_id,
                "uri": f"tastemaker:track:{pick.item_id}",
                "name": track.name if track else None,
                "artist_id": track.artist_id if track else None,
                "artist_name": track.artist_name if track else None,
                "artists": [artist] if artist and (artist["id"] or artist["name"]) else [],
                "album_name": track.album_name if track else None,
                "duration_ms": track.duration_ms if track else None,
                "popularity": track.popularity if track else None,
                "genres": list(track.genres) if track else [],
                "score": round(pick.score, 6),
            }
        )
    return {"seeds": result.seeds, "tracks": items}


_Ids = Annotated[str | None, QueryParameter(description="comma-separated ids; 1 to 5 seeds in all")]


@get(
    "/users/{user_id:str}/recommendations",
    summary="Tracks steered by up to 5 seeds, within min_/max_/target_ audio-feature tunables",
    sync_to_thread=True,
)
def get_recommendations(
    request: Request[Any, Any, Any],
    user_id: FromPath[str],
    seed_tracks: _Ids = None,
    seed_artists: _Ids = None,
    seed_genres: _Ids = None,
    limit: Annotated[str | None, QueryParameter(description="1 to 100 tracks (default 20)")] = None,
) -> Response[bytes]:
    from tastemaker.recommend.seeded import MAX_SEEDS, check_seeds_exist, parse_seeds, recommend_seeded

    principal_of(request).require_user(user_id)
    params = {key: value for key, value in request.query_params.items()}
    check_tunable_names(list(params))
    seeds = parse_seeds(
        _split("seed_tracks", seed_tracks),
        _split("seed_artists", seed_artists),
        _split("seed_genres", seed_genres),
    )
    if not 1 <= len(seeds) <= MAX_SEEDS:
        msg = f"{len(seeds)} seeds: give 1 to {MAX_SEEDS} in all (seed_tracks, seed_artists, seed_genres)"
        raise ApiError(
            400, msg, [{"loc": ["query", name], "type": "seed_count", "msg": msg} for name in SEED_PARAMETERS]
        )
    count = _limit(limit)
    tunables = tunables_or_400(params)
    model = live_model(request)
    store = platform_of(request).store
    catalog = catalog_index(request, model)
    check_seeds_exist(model, catalog, store, seeds)
    result = recommend_seeded(
        model, catalog, store, user_id=user_id, seeds=seeds, tunables=tunables, limit=count
    )
    return json_response(_view(result, store))


recommendations_router = Router(path="/v1", route_handlers=[get_recommendations], tags=["recommendations"])
