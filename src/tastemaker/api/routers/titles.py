"""``POST /v1/playlists/from-title``: a playlist from a title alone ("rainy day jazz"), for the moment a
listener names a new playlist and it is still empty. How tracks are chosen: ``recommend/from_title.py``;
what is read from the title: ``nlp/titles.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Request, Response, Router, post

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.api.routers.recommendations import catalog_index

MAX_TITLE = 200
MAX_LIMIT = 100


class FromTitleRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: str
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 30


_decoder = msgspec.json.Decoder(FromTitleRequest)


def _bad(message: str, loc: list[str | int], kind: str) -> ApiError:
    return ApiError(400, message, [{"loc": loc, "type": kind, "msg": message}])


def _loc(message: str) -> list[str | int]:
    """``Expected `int` - at `$.limit``` and ``Object missing required field `title``` name a field;
    ``Expected `object`, got `array``` is the body itself."""
    named = re.search(r"at `\$\.(\w+)`|field `(\w+)`", message)
    return ["body", next(name for name in named.groups() if name)] if named else ["body"]


def parse(body: bytes) -> FromTitleRequest:
    """The request, or a 400 that names the field: no body, not JSON, a bad limit, an empty or
    over-long title."""
    if not body.strip():
        msg = 'request body is empty; send {"title": "…", "limit": 30}'
        raise _bad(msg, ["body"], "missing")
    try:
        wanted = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        msg = f"invalid request: {exc}"
        raise _bad(msg, _loc(str(exc)), "invalid_parameter") from None
    except msgspec.DecodeError as exc:
        msg = f"request body is not valid JSON: {exc}"
        raise _bad(msg, ["body"], "invalid_json") from None
    title = " ".join(wanted.title.split())
    if not title:
        msg = "title is empty: name the playlist, e.g. 'rainy day jazz'"
        raise _bad(msg, ["body", "title"], "empty")
    if len(title) > MAX_TITLE:
        msg = f"title has {len(title)} characters; at most {MAX_TITLE} are accepted"
        raise _bad(msg, ["body", "title"], "too_long")
    return FromTitleRequest(title=title, limit=wanted.limit)


def _view(request: Request[Any, Any, Any], wanted: FromTitleRequest) -> dict[str, Any]:
    from tastemaker.nlp.titles import title_signals
    from tastemaker.recommend.from_title import playlist_for_title

    model = live_model(request)  # 503 before the text model loads when there is nothing to pick from
    signals = title_signals(wanted.title)
    store = platform_of(request).store
    found = playlist_for_title(
        model, catalog_index(request, model), store, signals.labels(), limit=wanted.limit
    )
    tracks = store.get_tracks([pick.item_id for pick in found.picks])
    items = []
    for pick in found.picks:
        track = tracks.get(pick.item_id)
        items.append(
            {
                "id": pick.item_id,
                "uri": f"tastemaker:track:{pick.item_id}",
                "name": track.name if track else None,
                "artist_id": track.artist_id if track else None,
                "artist_name": track.artist_name if track else None,
                "genres": list(track.genres) if track else [],
                "release_date": track.release_date if track else None,
                "score": pick.score,
                "reasons": pick.reasons,
            }
        )
    return {
        "title": wanted.title,
        "signals": {
            name: {"label": label, "confidence": confidence}
            for name, (label, confidence) in signals.labels().items()
        },
        "genre_in_catalog": found.genre_in_catalog,
        "candidates": found.candidates,
        "tracks": items,
    }


@post(
    "/playlists/from-title",
    summary="A playlist that fits a title (mood, activity, genre, era read from its words and emoji)",
    status_code=200,
)
async def from_title(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal_of(request)
    wanted = parse(await request.body())
    return json_response(await anyio.to_thread.run_sync(_view, request, wanted))


titles_router = Router(path="/v1", route_handlers=[from_title], tags=["playlists"])
