"""Spotify Web API-compatible surface under ``/spotify/v1/``. Being built (issue 6)."""

from __future__ import annotations

from litestar import Router

spotify_router = Router(path="/spotify", route_handlers=[], tags=["spotify"])
