"""Last.fm 2.0 / Audioscrobbler-compatible API at ``/2.0/``, and Maloja's newscrobble. Being built (issue 6)."""

from __future__ import annotations

from litestar import Router

lastfm_router = Router(path="/", route_handlers=[], tags=["lastfm"])
