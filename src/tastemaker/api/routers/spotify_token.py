"""``POST /spotify/api/token``: Spotify's client-credentials flow, mapped onto Tastemaker tokens.

The client id is a user name and the client secret that user's Tastemaker token (``admin`` and the
admin token for the admin); the access token returned is that same token, so a script configured with
``SpotifyClientCredentials`` gets a token the rest of the API accepts. Errors follow OAuth 2.0
(RFC 6749 §5.2), as Spotify's accounts service does and spotipy's OAuth code expects:
``{"error": "invalid_client", "error_description": "…"}``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs

import anyio
from litestar import Request, Response, post

from tastemaker.api.auth import authenticate
from tastemaker.api.routers.native import json_response, platform_of
from tastemaker.errors import Unauthorized

EXPIRES_IN = 3600
"""What Spotify says; our tokens do not expire, and a client asking again gets the same one."""


def _oauth_error(status: int, error: str, description: str) -> Response[bytes]:
    return json_response({"error": error, "error_description": description}, status)


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


def _issue(request: Request[Any, Any, Any], body: bytes) -> Response[bytes]:
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return _oauth_error(
            400, "invalid_request", "the body must be a UTF-8 form (application/x-www-form-urlencoded)"
        )
    grant = form.get("grant_type")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    credentials = _basic(request.headers.get("authorization"))
    if credentials is None and "client_id" in form:
        credentials = form["client_id"], form.get("client_secret", "")
    if credentials is None:
        return _oauth_error(
            400, "invalid_client", "send client_id and client_secret (HTTP Basic or form fields)"
        )
    client_id, secret = credentials
    platform = platform_of(request)
    try:
        principal = authenticate(
            f"Bearer {secret}", platform.store, admin_token=platform.config["admin_token"]
        )
    except Unauthorized:
        principal = None
    if principal is None or principal.name != client_id:
        return _oauth_error(
            400, "invalid_client", "client_id must be a user name and client_secret its token"
        )
    return json_response({"access_token": secret, "token_type": "Bearer", "expires_in": EXPIRES_IN})


@post("/api/token", summary="Spotify: client-credentials token (client id = user, secret = its token)")
async def token(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await request.body()
    return await anyio.to_thread.run_sync(_issue, request, body)
