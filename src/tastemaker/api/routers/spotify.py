"""Spotify Web API-compatible surface under ``/spotify/v1/``, with the endpoints Spotify withdrew.

A script written against spotipy works with ``sp.prefix = "http://HOST:8000/spotify/v1/"`` and a
Tastemaker token (docs/integrations/spotify.md). Every error of this router is in Spotify's shape.
"""

from __future__ import annotations

from litestar import Router

from tastemaker.api.routers.spotify_catalog import CATALOG_HANDLERS
from tastemaker.api.routers.spotify_errors import SPOTIFY_EXCEPTION_HANDLERS
from tastemaker.api.routers.spotify_me import ME_HANDLERS
from tastemaker.api.routers.spotify_playlists import PLAYLIST_HANDLERS
from tastemaker.api.routers.spotify_search import search
from tastemaker.api.routers.spotify_token import token

spotify_router = Router(
    path="/spotify",
    route_handlers=[*CATALOG_HANDLERS, search, *ME_HANDLERS, *PLAYLIST_HANDLERS, token],
    tags=["spotify"],
    exception_handlers=SPOTIFY_EXCEPTION_HANDLERS,
)
