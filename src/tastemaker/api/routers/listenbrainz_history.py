"""Stored listens read by partition (user, day) and shown in ListenBrainz's shapes.

Only plays are listens to ListenBrainz; skips sent through the native API are left out everywhere
here. ``recording_msid`` carries our track id: ListenBrainz's MessyBrainz ids name exactly that
(a recording known by its metadata only), and a client can send it back in feedback.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from tastemaker.platform import Platform
from tastemaker.storage.models import Listen, Track


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, tz=UTC).date()


def plays_between(platform: Platform, user: str, min_ts: int | None, max_ts: int | None) -> Iterator[Listen]:
    """Plays with ``min_ts < listened_at < max_ts`` (either bound optional), newest first."""
    store = platform.store
    for day, _ in store.listen_days(user):
        if max_ts is not None and day > _day(max_ts):
            continue
        if min_ts is not None and day < _day(min_ts):
            return
        for listen in store.listens(user, day):
            ts = int(listen.ts.timestamp())
            if listen.kind != "play" or (max_ts is not None and ts >= max_ts):
                continue
            if min_ts is not None and ts <= min_ts:
                continue
            yield listen


def page_of_listens(
    platform: Platform, user: str, *, min_ts: int | None, max_ts: int | None, count: int
) -> list[Listen]:
    """ListenBrainz's paging: newest first below ``max_ts``; with only ``min_ts``, the ``count`` listens
    right after it (still newest first), so a client can walk forward from a timestamp."""
    if min_ts is not None and max_ts is None:
        window = list(plays_between(platform, user, min_ts, None))
        return window[-count:] if count else []
    page: list[Listen] = []
    for listen in plays_between(platform, user, min_ts, max_ts):
        if len(page) >= count:
            break
        page.append(listen)
    return page


def tracks_of(platform: Platform, listens: list[Listen]) -> dict[str, Track]:
    return platform.tracks.get_many({listen.track_id for listen in listens if listen.track_id})


def listen_view(listen: Listen, track: Track | None) -> dict[str, Any]:
    additional: dict[str, Any] = {"tastemaker_track_id": listen.track_id, "recording_msid": listen.track_id}
    if track is not None:
        for key, value in (
            ("recording_mbid", track.recording_mbid),
            ("duration_ms", track.duration_ms),
            ("isrc", track.isrc),
        ):
            if value is not None:
                additional[key] = value
    metadata: dict[str, Any] = {
        "artist_name": listen.artist_name or (track.artist_name if track else None) or "",
        "track_name": listen.track_name or (track.name if track else None) or "",
        "additional_info": additional,
    }
    release = listen.album_name or (track.album_name if track else None)
    if release:
        metadata["release_name"] = release
    return {
        "listened_at": int(listen.ts.timestamp()),
        "recording_msid": listen.track_id,
        "user_name": listen.user_id,
        "track_metadata": metadata,
    }


def listens_view(platform: Platform, user: str, listens: list[Listen]) -> dict[str, Any]:
    tracks = tracks_of(platform, listens)
    newest = next(plays_between(platform, user, None, None), None)
    latest = int(newest.ts.timestamp()) if newest is not None else 0
    return {
        "payload": {
            "count": len(listens),
            "latest_listen_ts": latest,
            "listens": [listen_view(listen, tracks.get(listen.track_id)) for listen in listens],
            "user_id": user,
        }
    }
