"""Query parameters read by hand, so that every bad value is a 400 in Spotify's shape with its name."""

from __future__ import annotations

from typing import Any

from litestar import Request

from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_ids import decode_ref


def int_param(request: Request[Any, Any, Any], name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SpotifyError(400, f"{name} = {raw[:40]!r}: expected an integer from {low} to {high}")
    return value


def split_list(raw: str | None, name: str, *, most: int) -> list[str]:
    """A comma-separated list (possibly empty); an empty entry or too many is a 400."""
    if raw is None or not raw.strip():
        return []
    parts = [part.strip() for part in raw.split(",")]
    if not all(parts):
        raise SpotifyError(400, f"{name} has an empty entry (a doubled, leading or trailing comma?)")
    if len(parts) > most:
        raise SpotifyError(400, f"{name}: {len(parts)} given, at most {most} are accepted")
    return parts


def ids_param(request: Request[Any, Any, Any], kind: str, *, most: int) -> list[str]:
    """The required ``ids`` parameter, decoded to our ids in request order."""
    parts = split_list(request.query_params.get("ids"), "ids", most=most)
    if not parts:
        raise SpotifyError(400, f"ids is required: 1 to {most} {kind} ids, comma separated")
    return [decode_ref(part, kind) for part in parts]
