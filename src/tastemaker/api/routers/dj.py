"""The DJ under ``/v1/users/{user}/dj``: the next tracks of a live, skip-aware session."""

from __future__ import annotations

import re
import threading
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Request, Response, Router, post
from litestar.params import FromPath

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.recommend.dj_session import Feedback, Sessions

_sessions_lock = threading.Lock()


class FeedbackItem(msgspec.Struct, forbid_unknown_fields=True):
    track_id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    type: Literal["skip", "like"]


class NextRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    context: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    session_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    restart: bool = False
    feedback: Annotated[list[FeedbackItem], msgspec.Meta(max_length=50)] = []


_decoder = msgspec.json.Decoder(NextRequest)


def _loc(message: str) -> list[str | int]:
    """``Expected `int` <= 20 - at `$.feedback[0].type``` → ``["body", "feedback", 0, "type"]``."""
    path = message.rpartition(" - at `$")[2].rstrip("`")
    return ["body", *[name or int(index) for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path)]]


def parse(body: bytes) -> NextRequest:
    if not body.strip():
        return NextRequest()
    try:
        return _decoder.decode(body)
    except msgspec.ValidationError as exc:
        item = {"loc": _loc(str(exc)), "type": "invalid_parameter", "msg": str(exc)}
        raise ApiError(400, f"invalid DJ request: {exc}", [item]) from None
    except msgspec.DecodeError as exc:
        raise ApiError(
            400,
            f"request body is not valid JSON: {exc}",
            [{"loc": ["body"], "type": "invalid_json", "msg": str(exc)}],
        ) from None


def sessions_of(request: Request[Any, Any, Any]) -> Sessions:
    state = request.app.state
    with _sessions_lock:
        if "dj_sessions" not in state:
            state.dj_sessions = Sessions()
    sessions: Sessions = state.dj_sessions
    return sessions


@post(
    "/users/{user_id:str}/dj/next",
    summary="The DJ's next tracks for the user: sequenced, reacting to skips and likes",
    status_code=200,
)
async def dj_next(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    wanted = parse(await request.body())

    def run() -> dict[str, Any]:
        from tastemaker.recommend.dj import next_batch

        model = live_model(request)
        session = sessions_of(request).get(user_id, wanted.session_id, restart=wanted.restart)
        feedback = [Feedback(item.track_id, item.type) for item in wanted.feedback]
        with session.lock:
            batch = next_batch(
                model,
                platform_of(request).store,
                session,
                count=wanted.count,
                context=wanted.context,
                feedback=feedback,
            )
        return batch.view()

    return json_response(await anyio.to_thread.run_sync(run))


dj_router = Router(path="/v1", route_handlers=[dj_next], tags=["dj"])
