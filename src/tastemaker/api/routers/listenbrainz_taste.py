"""Feedback and recommendations between ListenBrainz's MusicBrainz ids and our catalog track ids.

The Store is reached by partition key only, so there is no index from a recording MBID to a track:
an MBID is looked up among the tracks of the user's own listening history (where the tracks a
user can love come from); our track id, sent as ``recording_msid``, always works.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.listenbrainz_history import plays_between
from tastemaker.errors import NotFound
from tastemaker.platform import Platform
from tastemaker.storage.models import Track

if TYPE_CHECKING:
    from tastemaker.recommend.model import Model

SCORES = {1: "like", 0: "unlike", -1: "unlike"}
"""Love is a like; hate and "remove feedback" both end a like (we keep no separate dislike list)."""
MAX_RECOMMENDATIONS = 1000
_LOOKUP_BATCH = 500


def _by_mbid(platform: Platform, user: str, mbid: str) -> Track | None:
    seen: set[str] = set()
    batch: list[str] = []
    for listen in plays_between(platform, user, None, None):
        if listen.track_id and listen.track_id not in seen:
            seen.add(listen.track_id)
            batch.append(listen.track_id)
        if len(batch) >= _LOOKUP_BATCH:
            found = _match(platform, batch, mbid)
            if found is not None:
                return found
            batch = []
    return _match(platform, batch, mbid) if batch else None


def _match(platform: Platform, track_ids: list[str], mbid: str) -> Track | None:
    tracks = platform.tracks.get_many(track_ids)
    return next((t for t in tracks.values() if t.recording_mbid and t.recording_mbid.lower() == mbid), None)


def feedback_item(platform: Platform, user: str, document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The native like/unlike item for one recording-feedback body."""
    score = document.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        msg = f"score = {score!r}: expected 1 (love), -1 (hate) or 0 (remove feedback)"
        raise ApiError(400, msg)
    mbid, msid = document.get("recording_mbid"), document.get("recording_msid")
    if not isinstance(mbid, str | None) or not isinstance(msid, str | None) or not (mbid or msid):
        msg = "send recording_mbid or recording_msid (a Tastemaker track id) as a string"
        raise ApiError(400, msg)
    track = None
    if msid:
        track = platform.tracks.get_many([msid]).get(msid)
    if track is None and mbid:
        track = _by_mbid(platform, user, mbid.strip().lower())
    if track is None:
        msg = (
            f"no track for recording {mbid or msid!r}: send a recording_mbid of a track in your listening "
            "history, or the track's Tastemaker id as recording_msid"
        )
        raise NotFound(msg)
    item: dict[str, Any] = {
        "type": SCORES[score],
        "user_id": user,
        "ts": now.isoformat(),
        "track_id": track.track_id,
        "extra": {"source": "listenbrainz", "score": score},
    }
    if mbid:
        item["recording_mbid"] = mbid
    return item


def recommendations_view(
    platform: Platform, model: Model, user: str, *, count: int, offset: int
) -> dict[str, Any] | None:
    """The model's picks for the user: those with a recording MBID under ``mbids`` (what ListenBrainz
    clients read), and every pick, with our track id, under ``tastemaker_tracks``; None if none."""
    picks = model.recommend(user, MAX_RECOMMENDATIONS)
    if not picks:
        return None
    tracks = platform.tracks.get_many([pick.item_id for pick in picks])
    everything = []
    for pick in picks:
        track = tracks.get(pick.item_id)
        everything.append(
            {
                "track_id": pick.item_id,
                "recording_mbid": track.recording_mbid if track else None,
                "track_name": track.name if track else None,
                "artist_name": track.artist_name if track else None,
                "score": round(pick.score, 6),
            }
        )
    with_mbid = [
        {"recording_mbid": item["recording_mbid"], "score": item["score"]}
        for item in everything
        if item["recording_mbid"]
    ]
    mbids = with_mbid[offset : offset + count]
    created = model.manifest.get("created_at")
    return {
        "payload": {
            "mbids": mbids,
            "tastemaker_tracks": everything[offset : offset + count],
            "user_name": user,
            "count": len(mbids),
            "offset": offset,
            "total_mbid_count": len(with_mbid),
            "total_track_count": len(everything),
            "last_updated": int(datetime.fromisoformat(created).timestamp()) if created else 0,
        }
    }
