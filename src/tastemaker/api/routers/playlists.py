"""Generated playlists under ``/v1/users/{user}/playlists``: read the stored ones, refresh on demand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.errors import NotFound
from tastemaker.recommend import daily_mixes as dm
from tastemaker.recommend import discover_weekly as dw

if TYPE_CHECKING:  # the model brings NumPy, SciPy, implicit and voyager: loaded on first use only
    from tastemaker.recommend.model import Model

_models_lock = threading.Lock()


def live_model(request: Request[Any, Any, Any]) -> Model:
    """The newest trained model; a later `tastemaker train` is picked up without a restart."""
    from tastemaker.recommend.model_files import LiveModel, models_dir

    state = request.app.state
    with _models_lock:
        if "models" not in state:
            state.models = LiveModel(models_dir(platform_of(request).config.data_dir))
    models: LiveModel = state.models
    model = models.get()
    if model is None:
        raise ApiError(503, "no trained model yet: run `tastemaker train` (it reads the event log)")
    return model


@get(
    "/users/{user_id:str}/playlists/discover-weekly",
    summary="The user's latest Discover Weekly (30 new tracks with reasons)",
    sync_to_thread=True,
)
def get_discover_weekly(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    store = platform_of(request).store
    playlist = dw.latest(store, user_id)
    if playlist is None:
        msg = (
            f"no Discover Weekly for user {user_id!r} yet: run `tastemaker weekly`, or POST to this URL "
            "to make one now"
        )
        raise NotFound(msg)
    return json_response(dw.playlist_view(playlist, store))


@post(
    "/users/{user_id:str}/playlists/discover-weekly",
    summary="Make this week's Discover Weekly now (replaces this week's list)",
    status_code=201,
    sync_to_thread=True,
)
def refresh_discover_weekly(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    store = platform_of(request).store
    model = live_model(request)
    playlist = dw.discover_weekly(
        model, store, user_id, known=dw.known_tracks(store, user_id), now=datetime.now(UTC)
    )
    store.put_playlists([playlist])
    return json_response(dw.playlist_view(playlist, store), 201)


@get(
    "/users/{user_id:str}/playlists/daily-mixes",
    summary="The user's latest Daily Mixes (up to 6, each a cluster of their taste)",
    sync_to_thread=True,
)
def get_daily_mixes(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    store = platform_of(request).store
    mixes = dm.latest(store, user_id)
    if not mixes:
        msg = (
            f"no Daily Mixes for user {user_id!r} yet: run `tastemaker daily`, or POST to this URL "
            "to make them now"
        )
        raise NotFound(msg)
    return json_response({"mixes": [dw.playlist_view(mix, store) for mix in mixes]})


@post(
    "/users/{user_id:str}/playlists/daily-mixes",
    summary="Make today's Daily Mixes now",
    status_code=201,
    sync_to_thread=True,
)
def refresh_daily_mixes(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    store = platform_of(request).store
    mixes = dm.daily_mixes(live_model(request), store, user_id, now=datetime.now(UTC))
    if not mixes:
        msg = f"user {user_id!r} has too little listening in the trained model for a Daily Mix yet"
        raise NotFound(msg)
    store.put_playlists(mixes)
    return json_response({"mixes": [dw.playlist_view(mix, store) for mix in mixes]}, 201)


playlists_router = Router(
    path="/v1",
    route_handlers=[get_discover_weekly, refresh_discover_weekly, get_daily_mixes, refresh_daily_mixes],
    tags=["playlists"],
)
