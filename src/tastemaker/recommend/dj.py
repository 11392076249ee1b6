"""The DJ: an endless, sequenced stream per listener that changes course on a skip or a like.

One call to ``next_batch`` does, in order:

1. **Hear back.** Feedback comes from the request body and from the Store: the user's listens of the
   session's days (a ``skip`` event of a served track is stored by the archiver as a listen of kind
   ``skip``) and their Liked Songs (a served track liked after the session began). Each is applied
   once: a skip bans the track's artist for the rest of the session and pushes the steering vector
   away from the track; a like pulls it closer (``dj_candidates``).
2. **Candidates.** A familiar pool and a discovery pool around the steering vector
   (``dj_candidates.pools``), or popular tracks for a cold listener; never a served track, never a
   banned artist. With a context ("workout", "chill", …) a track's relevance also rewards energy near
   the context's target, where audio features exist.
3. **Sequence.** Slot by slot, a discovery pick whenever that keeps discoveries at most
   ``discovery_share`` of the session, else a familiar one; within the pool the candidate with the
   lowest ``flow_weight · transition + (1 − flow_weight) · (1 − relevance)`` (plus a penalty for
   the previous track's artist) follows, where ``transition`` is ``dj_transitions.transition_cost``
   from the previous track (tempo, key, energy; ALS similarity when features are missing).
4. **Say something.** A segment text from what the batch is (``dj_segments``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from tastemaker.audio.records import load_features_many
from tastemaker.recommend import dj_candidates as dc
from tastemaker.recommend.dj_segments import Reaction, Said, segment
from tastemaker.recommend.dj_session import Feedback, Session
from tastemaker.recommend.dj_transitions import Sound, transition_cost
from tastemaker.recommend.model import Model
from tastemaker.storage.models import Listen, Track
from tastemaker.storage.store import Store

LIKED = "liked"  # the archiver's Liked Songs playlist kind
CLOCK_SLACK = timedelta(minutes=10)  # a client's clock may run behind ours: skips this early still count
CONTEXT_ENERGY = {
    "workout": 0.85, "gym": 0.85, "run": 0.85, "party": 0.8, "dance": 0.8, "drive": 0.65,
    "focus": 0.35, "study": 0.35, "chill": 0.3, "relax": 0.3, "sleep": 0.15,
}  # fmt: skip


@dataclass(frozen=True)
class DjParams:
    pool: int = 60
    discovery_share: float = 0.3
    flow_weight: float = 0.5
    steer: float = 0.6
    neighbour_penalty: float = 0.5
    """Relevance lost by a candidate as close (cosine) to a skipped track as the track itself."""
    same_artist_penalty: float = 0.25
    per_artist: int = 2
    """At most this many tracks of one artist per batch (relaxed only when nothing else is left)."""
    context_weight: float = 0.5


@dataclass(frozen=True)
class Candidate:
    track_id: str
    kind: str
    relevance: float
    track: Track | None
    sound: Sound | None

    @property
    def artist(self) -> str | None:
        return (self.track.artist_id or self.track.artist_name) if self.track else None


@dataclass(frozen=True)
class Batch:
    session_id: str
    segment: str
    picks: list[Candidate]
    reasons: list[str]

    def view(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "segment": self.segment,
            "tracks": [
                {
                    "track_id": pick.track_id,
                    "name": pick.track.name if pick.track else None,
                    "artist_name": pick.track.artist_name if pick.track else None,
                    "reason": reason,
                }
                for pick, reason in zip(self.picks, self.reasons, strict=True)
            ],
        }


def context_energy(context: str | None) -> float | None:
    """The target energy a context asks for ("Morning workout" → 0.85), None when it names none."""
    words = (context or "").lower()
    return next((energy for word, energy in CONTEXT_ENERGY.items() if word in words), None)


def sounds(store: Store, track_ids: list[str]) -> dict[str, Sound]:
    """Audio features of the tracks that have them (one multi-get)."""
    return {
        track_id: Sound.of(features) for track_id, features in load_features_many(store, track_ids).items()
    }


def recent_listens(store: Store, session: Session) -> list[Listen]:
    """The user's listens since the day before the session began (at most three day partitions)."""
    since = session.started_at.date() - timedelta(days=1)
    listens: list[Listen] = []
    for day, _count in store.listen_days(session.user_id)[:3]:
        if day < since:
            break
        listens.extend(store.listens(session.user_id, day))
    return listens


def stored_feedback(store: Store, session: Session, listens: list[Listen]) -> list[Feedback]:
    served = set(session.served)
    since = session.started_at - CLOCK_SLACK
    found = [
        Feedback(listen.track_id, "skip")
        for listen in sorted(listens, key=lambda listen: listen.ts)
        if listen.kind == "skip" and listen.track_id in served and listen.ts >= since
    ]
    liked = {t for p in store.get_playlists(session.user_id, LIKED) for t in p.track_ids}
    if session.liked_before is None:
        session.liked_before = liked
    found += [Feedback(t, "like") for t in session.served if t in liked - session.liked_before]
    return found


def apply_feedback(store: Store, session: Session, feedback: list[Feedback]) -> list[Reaction]:
    """Apply feedback not applied before; return what changed, for the segment text."""
    new = list(dict.fromkeys(f for f in feedback if f not in session.applied))
    tracks = store.get_tracks([f.track_id for f in new])
    reactions = []
    for item in new:
        session.applied.add(item)
        track = tracks.get(item.track_id)
        if item.type == "skip":
            session.skipped.append(item.track_id)
            if track is not None and (track.artist_id or track.artist_name):
                session.banned_artists.add(track.artist_id or track.artist_name or "")
        else:
            session.liked.append(item.track_id)
        reactions.append(
            Reaction(item.type, track.name if track else None, track.artist_name if track else None)
        )
    return reactions


def _candidates(
    model: Model, store: Store, session: Session, pools: dc.Pools, target: float | None, params: DjParams
) -> list[Candidate]:
    kinds = [("popular" if pools.kind_of_discovery == "popular" else "familiar", pools.familiar)]
    kinds.append((pools.kind_of_discovery, pools.discovery))
    ids = [t for _, pool in kinds for t, _ in pool]
    tracks = store.get_tracks(ids)
    found = sounds(store, ids)
    skipped = [
        model.factors.items[c] for t in session.skipped if (c := model.item_columns.get(t)) is not None
    ]
    result = []
    for kind, pool in kinds:
        for track_id, relevance in pool:
            candidate = Candidate(track_id, kind, relevance, tracks.get(track_id), found.get(track_id))
            if candidate.artist in session.banned_artists:
                continue
            score = relevance
            column = model.item_columns.get(track_id)
            if skipped and column is not None:
                vector = dc.unit(model.factors.items[column])
                closest = max(float(vector @ dc.unit(s)) for s in skipped)
                score -= params.neighbour_penalty * max(0.0, closest)
            if target is not None:
                fit = 1.0 - abs(candidate.sound.energy - target) if candidate.sound else 0.5
                score = (1 - params.context_weight) * score + params.context_weight * fit
            result.append(Candidate(track_id, kind, score, candidate.track, candidate.sound))
    return result


def _cost(
    model: Model, previous: Candidate | None, candidate: Candidate, target: float | None, params: DjParams
) -> float:
    flow = 0.0
    if previous is not None:
        step = 0.0
        if target is not None and previous.sound is not None:
            step = float(np.clip(target - previous.sound.energy, -0.1, 0.1))
        a, b = model.item_columns.get(previous.track_id), model.item_columns.get(candidate.track_id)
        flow = transition_cost(
            previous.sound,
            candidate.sound,
            model.factors.items[a] if a is not None else None,
            model.factors.items[b] if b is not None else None,
            energy_step=step,
        )
    cost = params.flow_weight * flow + (1 - params.flow_weight) * (1 - candidate.relevance)
    if previous is not None and candidate.artist is not None and candidate.artist == previous.artist:
        cost += params.same_artist_penalty
    return cost


def sequence(
    model: Model,
    candidates: list[Candidate],
    *,
    previous: Candidate | None,
    count: int,
    served: dict[str, str],
    target: float | None = None,
    params: DjParams | None = None,
) -> list[Candidate]:
    """Pick ``count`` candidates in play order (see the module docstring); ``served``: the session's
    track → kind so far, for the familiar/discovery mix."""
    params = params or DjParams()
    left = {c.track_id: c for c in candidates if c.track_id not in served}
    kinds = Counter(served.values())
    picked: list[Candidate] = []
    per_artist: Counter[str | None] = Counter()
    while left and len(picked) < count:
        total = sum(kinds.values())
        want = "discovery" if (kinds["discovery"] + 1) / (total + 1) <= params.discovery_share else "familiar"
        pool = [c for c in left.values() if c.kind == want] or list(left.values())
        fresh = [c for c in pool if c.artist is None or per_artist[c.artist] < params.per_artist]
        best = min(fresh or pool, key=lambda c: _cost(model, previous, c, target, params))
        picked.append(best)
        del left[best.track_id]
        kinds[best.kind] += 1
        per_artist[best.artist] += 1
        previous = best
    return picked


def _reason(pick: Candidate, target: float | None, context: str | None, liked: Track | None) -> str:
    if target is not None and pick.sound is not None and abs(pick.sound.energy - target) < 0.15:
        return f"Matches the energy for {context}"
    if liked is not None and pick.kind == "discovery":
        return f"Because you liked “{liked.name}”"
    return {
        "familiar": "You've played this before",
        "discovery": "New to you, close to your taste",
    }.get(pick.kind, "Popular on Tastemaker")


def next_batch(
    model: Model,
    store: Store,
    session: Session,
    *,
    count: int = 5,
    context: str | None = None,
    feedback: list[Feedback] | None = None,
    params: DjParams | None = None,
) -> Batch:
    """The next ``count`` tracks of the session, in play order, with a segment text; updates the session."""
    params = params or DjParams()
    listens = recent_listens(store, session)
    reactions = apply_feedback(store, session, [*(feedback or []), *stored_feedback(store, session, listens)])
    found, newer = dc.evidence(model, session.user_id, listens)
    if session.base is None or session.base[0] != model.version:
        session.base = (model.version, dc.taste_vector(model, session.user_id, found, newer))
    vector = dc.steering(model, session, session.base[1], steer=params.steer)
    pools = dc.pools(model, found, vector, set(session.served), size=params.pool)
    target = context_energy(context)
    candidates = _candidates(model, store, session, pools, target, params)
    last = session.last_track
    previous = None
    if last is not None:
        previous = Candidate(last, "", 0.0, store.get_track(last), sounds(store, [last]).get(last))
    picks = sequence(
        model, candidates, previous=previous, count=count, served=session.kinds, target=target, params=params
    )
    for pick in picks:
        session.served.append(pick.track_id)
        session.kinds[pick.track_id] = pick.kind
    liked = store.get_track(session.liked[-1]) if session.liked else None
    notes = {p.track_id: (store.get_labels(p.track_id) or {}).get("annotations", {}) for p in picks}
    said = [
        Said(
            p.kind,
            p.track.artist_name if p.track else None,
            p.sound.tempo if p.sound else None,
            _annotation(notes[p.track_id], "mood"),
            _annotation(notes[p.track_id], "activity"),
        )
        for p in picks
    ]
    return Batch(
        session_id=session.session_id,
        segment=segment(said, reactions=reactions, context=context),
        picks=picks,
        reasons=[_reason(p, target, context, liked) for p in picks],
    )


def _annotation(annotations: Mapping[str, Any], kind: str) -> str | None:
    """The value ``tastemaker annotate`` gave a track for ``kind`` (mood, activity), if any."""
    entry = annotations.get(kind)
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return value if isinstance(value, str) else None
