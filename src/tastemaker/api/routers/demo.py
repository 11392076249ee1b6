"""``/v1/demo`` (setting ``demo_mode``): the simulated listeners a visitor of the demo may listen as.

The web app's sign-in page lists them and asks for a token of the one picked, so that the demo needs no
token pasted from a terminal. This hands anyone a token, which is why it answers only in demo mode
(``tastemaker demo`` turns it on) and only for simulated listeners (``user00012``), never for an admin.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from tastemaker.api.routers.native import json_response, platform_of
from tastemaker.errors import NotFound
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles import view
from tastemaker.profiles.profile import TasteProfile
from tastemaker.profiles.profile import decode as decode_profile
from tastemaker.recommend import discover_weekly as dw

PROBE_USERS = 300
"""Simulated user ids looked at (``user00000`` on): one multi-get of profiles, so the list stays cheap
however large the world is."""
MAX_LISTENERS = 12
CACHE_S = 60.0
"""The list changes only as the world loads; a page load should not redo the probe."""
SIMULATED_ID = re.compile(r"user\d{5,}")
"""The ids of ``simulate.listeners.user_id`` (not imported: the simulator is not for every API start)."""


@dataclass
class ListenerCache:
    """The last probe's answer and when it was made (per app, shared by its requests)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    made_at: float = float("-inf")
    listeners: list[dict[str, Any]] = field(default_factory=list)


def demo_platform(request: Request[Any, Any, Any]) -> Platform:
    """The platform, or 404 when the server is not in demo mode (nothing here exists then)."""
    platform = platform_of(request)
    if not platform.config["demo_mode"]:
        msg = "not a demo server: /v1/demo answers only with the setting demo_mode on (tastemaker demo)"
        raise NotFound(msg)
    return platform


def _top_artist(profile: TasteProfile, platform: Platform) -> str | None:
    params = profile_params(platform.config)
    halves = (params.short_half_life_s, params.long_half_life_s)
    best = view.top(profile.artists, now=datetime.now(UTC).timestamp(), half_lives=halves, n=1)
    ranked = best["long_term"]
    return str(ranked[0]["id"]) if ranked else None  # the profile keys artists by name


def find_listeners(
    platform: Platform, *, probe: int = PROBE_USERS, most: int = MAX_LISTENERS
) -> list[dict[str, Any]]:
    """Simulated listeners with a Taste Profile and a Discover Weekly, most plays first."""
    store = platform.store
    ids = [f"user{index:05d}" for index in range(probe)]
    profiles = store.get_profiles(ids)
    found: list[dict[str, Any]] = []
    for user_id in ids:
        data = profiles.get(user_id)
        if data is None or dw.latest(store, user_id) is None:
            continue
        profile = decode_profile(data)
        found.append(
            {"user_id": user_id, "plays": profile.plays, "top_artist": _top_artist(profile, platform)}
        )
    found.sort(key=lambda listener: (-listener["plays"], listener["user_id"]))
    return found[:most]


def cached_listeners(request: Request[Any, Any, Any], platform: Platform) -> list[dict[str, Any]]:
    state = request.app.state
    if "demo_listeners" not in state:
        state.demo_listeners = ListenerCache()
    cache: ListenerCache = state.demo_listeners
    with cache.lock:
        if time.monotonic() - cache.made_at > CACHE_S:
            cache.listeners = find_listeners(platform)
            cache.made_at = time.monotonic()
        return cache.listeners


@get(
    "/demo", summary="Demo mode only: simulated listeners to listen as (no token needed)", sync_to_thread=True
)
def get_demo(request: Request[Any, Any, Any]) -> Response[bytes]:
    platform = demo_platform(request)
    return json_response({"demo": True, "listeners": cached_listeners(request, platform)})


@post(
    "/demo/listeners/{user_id:str}/token",
    summary="Demo mode only: a new token of a simulated listener (the listener's previous one stops working)",
    status_code=201,
    sync_to_thread=True,
)
def post_listener_token(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    from tastemaker.accounts import create_user  # loaded only when a demo token is asked

    platform = demo_platform(request)
    store = platform.store
    account = store.get_user(user_id)
    simulated = SIMULATED_ID.fullmatch(user_id) is not None and store.get_profile(user_id) is not None
    if not simulated or (account is not None and account.admin):
        msg = f"no simulated listener {user_id!r} with a Taste Profile (GET /v1/demo lists some)"
        raise NotFound(msg)
    token = create_user(store, user_id, admin=False, rotate=True)
    return json_response({"user_id": user_id, "token": token}, 201)


demo_router = Router(path="/v1", route_handlers=[get_demo, post_listener_token], tags=["demo"])
