"""Wrapped under ``/v1/users/{user}/wrapped/{year}``: the recap, its animated story and its cards.

Recaps are computed by the batch job (``tastemaker wrapped YEAR``) and served from the Store; the
story (Lottie JSON) and the cards (SVG, PNG) are drawn from the stored recap on request, so a recap
recomputed by the job is reflected at once.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.params import FromPath

from tastemaker.api.routers.native import platform_of, principal_of
from tastemaker.errors import NotFound
from tastemaker.wrapped import cards as wrapped_cards
from tastemaker.wrapped.recap import Recap
from tastemaker.wrapped.story import story_json

_RECAP = msgspec.json.Decoder(Recap)
_CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _recap_bytes(request: Request[Any, Any, Any], user_id: str, year: int) -> bytes:
    principal_of(request).require_user(user_id)
    data = platform_of(request).store.get_recap(user_id, year)
    if data is None:
        msg = (
            f"no Wrapped {year} for user {user_id!r}: it is made by `tastemaker wrapped {year}` "
            "(for every listener with plays that year)"
        )
        raise NotFound(msg)
    return data


@get(
    "/users/{user_id:str}/wrapped/{year:int}",
    summary="The user's Wrapped recap for a year (minutes, tops, clock, streak, personality …)",
    sync_to_thread=True,
)
def get_recap(
    request: Request[Any, Any, Any], user_id: FromPath[str], year: FromPath[int]
) -> Response[bytes]:
    return Response(_recap_bytes(request, user_id, year), media_type="application/json")


@get(
    "/users/{user_id:str}/wrapped/{year:int}/story.json",
    summary="The recap as an animated story (Lottie JSON, for lottie-web)",
    sync_to_thread=True,
)
def get_story(
    request: Request[Any, Any, Any], user_id: FromPath[str], year: FromPath[int]
) -> Response[bytes]:
    recap = _RECAP.decode(_recap_bytes(request, user_id, year))
    return Response(story_json(recap), media_type="application/json")


@get(
    "/users/{user_id:str}/wrapped/{year:int}/cards/{card:str}",
    summary="A shareable card of the recap: NAME.png or NAME.svg (see docs/wrapped-story.md for names)",
    sync_to_thread=True,
)
def get_card(
    request: Request[Any, Any, Any], user_id: FromPath[str], year: FromPath[int], card: FromPath[str]
) -> Response[bytes]:
    name, _, extension = card.rpartition(".")
    if extension not in _CONTENT_TYPES or name not in wrapped_cards.CARD_NAMES:
        msg = f"no card {card!r}: choose one of " + ", ".join(
            f"{n}.{e}" for n in wrapped_cards.CARD_NAMES for e in _CONTENT_TYPES
        )
        raise NotFound(msg)
    recap = _RECAP.decode(_recap_bytes(request, user_id, year))
    body = (
        wrapped_cards.card_png(recap, name)
        if extension == "png"
        else wrapped_cards.card_svg(recap, name).encode()
    )
    return Response(body, media_type=_CONTENT_TYPES[extension])


wrapped_router = Router(path="/v1", route_handlers=[get_recap, get_story, get_card], tags=["wrapped"])
