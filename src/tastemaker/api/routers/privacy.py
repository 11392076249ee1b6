"""Listeners' data: ``GET /v1/users/{user}/export`` (a zip in Spotify's privacy-export layout) and
``DELETE /v1/users/{user}`` (forget them everywhere). The user themself or an admin; docs/privacy.md.

A second DELETE of the same user is 204 again (not 404): forgetting is idempotent and a re-run is
how an interrupted forget is finished, so the answer says "nothing of this user is held any more",
whether this call or an earlier one removed it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Stream

from tastemaker.api.routers.native import platform_of, principal_of
from tastemaker.platform import profile_params
from tastemaker.privacy.export import stream_export
from tastemaker.privacy.forget import forget


@get(
    "/users/{user_id:str}/export",
    summary="Everything held about the user, as a zip in Spotify's privacy-export layout",
    sync_to_thread=True,
)
def export_user(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Stream:
    principal_of(request).require_user(user_id)
    platform = platform_of(request)
    chunks = stream_export(platform.store, user_id, params=profile_params(platform.config))
    return Stream(
        chunks,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{_filename(user_id)}"'},
    )


@delete(
    "/users/{user_id:str}",
    summary="Forget the user everywhere: account, log, archive, store, models, caches",
    status_code=204,
    sync_to_thread=True,
)
def delete_user(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[None]:
    principal_of(request).require_user(user_id)
    state = request.app.state
    forget(
        platform_of(request), user_id, caches=[lambda u: _forget_dj(state, u), lambda u: _forget_demo(state)]
    )
    return Response(None, status_code=204)


def _filename(user_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in user_id) or "user"
    return f"tastemaker-{safe}-export.zip"


def _forget_dj(state: State, user_id: str) -> int:
    """Drop the user's DJ sessions (recommend/dj_session.Sessions keeps them per user)."""
    sessions = getattr(state, "dj_sessions", None)
    if sessions is None:
        return 0
    forgotten: int = sessions.forget(user_id)
    return forgotten


def _forget_demo(state: State) -> int:
    """The demo picker's listener list is a minute-long cache of names: make the next probe fresh."""
    cache = getattr(state, "demo_listeners", None)
    if cache is None:
        return 0
    with cache.lock:
        cache.made_at = float("-inf")
        cache.listeners = []
    return 0


privacy_router = Router(path="/v1", route_handlers=[export_user, delete_user], tags=["privacy"])
