"""The Litestar application: routers, error table, metrics and the consumers' lifecycle."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig

from tastemaker import __version__
from tastemaker.api.auth import install_log_redaction
from tastemaker.api.backpressure import backpressure_middleware, log_pressure
from tastemaker.api.dead_letter_metrics import DeadLetterCollector, dead_letter_counts
from tastemaker.api.errors import EXCEPTION_HANDLERS, SHAPES_BY_PREFIX
from tastemaker.api.metrics import Metrics
from tastemaker.api.ratelimit import rate_limit_middleware, token_buckets
from tastemaker.api.routers.audio import audio_router
from tastemaker.api.routers.demo import demo_router
from tastemaker.api.routers.dj import dj_router
from tastemaker.api.routers.lastfm import lastfm_router
from tastemaker.api.routers.listenbrainz import listenbrainz_router
from tastemaker.api.routers.listenbrainz_errors import lb_error
from tastemaker.api.routers.me import me_router
from tastemaker.api.routers.native import json_response, native_router, platform_of
from tastemaker.api.routers.playlists import playlists_router
from tastemaker.api.routers.privacy import privacy_router
from tastemaker.api.routers.recommendations import recommendations_router
from tastemaker.api.routers.spotify import spotify_router
from tastemaker.api.routers.spotify_errors import spotify_error
from tastemaker.api.routers.stream import stream_router
from tastemaker.api.routers.titles import titles_router
from tastemaker.api.routers.top import top_router
from tastemaker.api.routers.wrapped import wrapped_router
from tastemaker.api.stream_signing import stream_secret
from tastemaker.api.timeouts import request_timeout_middleware
from tastemaker.api.web import STATIC_DIR, spa_fallback, web_handlers
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.storage.migrate import MirroredStore


@get("/healthz", summary="Liveness and consumer health", sync_to_thread=True)
def healthz(request: Request[Any, Any, Any]) -> Response[bytes]:
    platform = platform_of(request)
    consumers: dict[str, dict[str, Any]] = {}
    for name in platform.consumer_factories():
        runner = platform.runners.get(name)
        error = repr(runner.error) if runner is not None and runner.error else None
        consumers[name] = {"lag": platform.event_log.lag(name), "error": error}
    ok = all(c["error"] is None for c in consumers.values())
    dead_letters = dead_letter_counts(platform.event_log)  # set aside: not a failure (docs/durability.md)
    body = {"ok": ok, "version": __version__, "consumers": consumers, "dead_letters": dead_letters}
    return json_response(body, 200 if ok else 503)


@get("/metrics", summary="Prometheus metrics", sync_to_thread=True)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = request.app.state.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


SETTINGS_ENV = "TASTEMAKER_SERVE_SETTINGS"


def app_from_environment() -> Litestar:
    """The app of one API process of `serve --workers N`: settings come from the parent, via the env."""
    settings = json.loads(os.environ.get(SETTINGS_ENV, "{}"))
    path = settings.get("config_path")
    config = Config.load(settings.get("flags", {}), toml_path=Path(path) if path else None)
    platform = Platform.open(config)
    app = create_app(platform, run_consumers=False)
    app.on_shutdown.append(platform.close)
    return app


def create_app(platform: Platform, *, run_consumers: bool = True, static_dir: Path | None = None) -> Litestar:
    """Build the app around an open platform; consumers start and stop with the app when asked.

    ``static_dir`` holds the built web app served at ``/`` (default: the package's ``api/static``)."""
    SHAPES_BY_PREFIX.update({"/spotify/": spotify_error, "/1/": lb_error})
    install_log_redaction()  # no token in a logged request line (docs/security.md)
    app_metrics = Metrics(
        platform.event_log,
        lambda: sorted(set(platform.event_log.groups()) | set(platform.runners)),
        migration=platform.store if isinstance(platform.store, MirroredStore) else None,
    )
    app_metrics.registry.register(DeadLetterCollector(platform.event_log))

    def start() -> None:
        if run_consumers:
            platform.start_consumers(on_batch=app_metrics.on_batch)

    def stop() -> None:
        platform.stop_consumers()

    return Litestar(
        route_handlers=[
            native_router,
            audio_router,
            playlists_router,
            wrapped_router,
            listenbrainz_router,
            lastfm_router,
            spotify_router,
            dj_router,
            recommendations_router,
            titles_router,
            me_router,
            top_router,
            stream_router,
            demo_router,
            privacy_router,
            healthz,
            metrics,
            *web_handlers,
        ],
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: spa_fallback},
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=OpenAPIConfig(title="Tastemaker", version=__version__, path="/docs"),
        request_max_body_size=int(platform.config["max_body_bytes"]),
        middleware=[
            rate_limit_middleware(
                token_buckets(platform.config["rate_limit_per_minute"], platform.config["rate_limit_burst"])
            ),
            backpressure_middleware(log_pressure(platform)),
            request_timeout_middleware(
                float(platform.config["request_timeout_s"]), int(platform.config["max_body_bytes"])
            ),
        ],
        state=State(
            {
                "platform": platform,
                "metrics": app_metrics,
                "stream_secret": stream_secret(platform.config),
                "static_dir": static_dir or STATIC_DIR,
            }
        ),
        debug=False,
    )
