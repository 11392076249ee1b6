"""``GET /v1/me``: who a token belongs to, so that a client (the web app) can check a pasted token and
learn whether it may look at other listeners."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get

from tastemaker.api.routers.native import json_response, principal_of


@get("/me", summary="The token's user: its name, whether it is an admin, and its scopes", sync_to_thread=True)
def get_me(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    return json_response(
        {"name": principal.name, "admin": principal.admin, "scopes": sorted(principal.scopes)}
    )


me_router = Router(path="/v1", route_handlers=[get_me], tags=["native"])
