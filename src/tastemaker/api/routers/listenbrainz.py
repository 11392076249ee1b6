"""ListenBrainz-compatible API at the server root (``/1/…``). Being built (issue 6)."""

from __future__ import annotations

from litestar import Router

listenbrainz_router = Router(path="/1", route_handlers=[], tags=["listenbrainz"])
