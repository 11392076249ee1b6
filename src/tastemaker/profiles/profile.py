"""The Taste Profile: what a listener likes now and over the long run, updated per event in O(1).

The profile is stored as msgpack bytes in the Store (``profiles`` by user). Every format version is
pinned by a golden file in ``tests/golden/profiles/v<N>``; ``decode`` reads every older version and
migrates it (see ``_migrate``), so profiles are upgraded lazily, the next time they are written.

Version 2 added, beside the v1 affinities and counts: the audio-feature preference distribution
(``profiles/audio_features.py``), user vectors per embedding space, and the state behind the four
Listening-Personality axes (``profiles/personality.py``). Those parts are decayed means under one
forward-decay anchor per profile (``profiles/decayed.py``), so one event costs two ``exp2`` for all.

Version 3 added the label affinities: what the annotator (``annotate/``) says of the tracks a listener
plays — moods, activities, vocal or instrumental, eras, lyric themes — so a profile reads "mostly chill,
focus music from the 2010s", not only artists and genres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from math import exp2, log1p
from typing import Any

import msgspec
import numpy as np

from tastemaker.events.schema import FULL_LISTEN_MS, Event, Like, Play, Skip, Unlike
from tastemaker.profiles import personality, view
from tastemaker.profiles.affinity import Affinity, prune
from tastemaker.profiles.audio_features import ItemVector, TrackAudio
from tastemaker.profiles.decayed import (
    REBASE_HALF_LIVES,
    DecayedMean,
    DecayedVector,
    FloatArray,
    dec_hook,
    enc_hook,
    fold_vector,
    rescale_mean,
    rescale_vector,
)
from tastemaker.profiles.labels import TrackLabel
from tastemaker.profiles.personality import YEAR_S, release_ts
from tastemaker.storage.models import Track

FORMAT_VERSION = 3
DAY_S = 86400.0


class TasteProfile(msgspec.Struct, kw_only=True, gc=False):
    user_id: str
    version: int = FORMAT_VERSION
    plays: int = 0
    skips: int = 0
    likes: int = 0
    ms_played: int = 0
    first_listen: datetime | None = None
    last_listen: datetime | None = None
    tracks: dict[str, Affinity] = {}
    artists: dict[str, Affinity] = {}
    genres: dict[str, Affinity] = {}
    skips_by_context: dict[str, list[int]] = {}
    applied: dict[str, int] = {}
    updated_at: datetime | None = None
    # format version 2
    anchor: float = 0.0
    """Unix seconds every decayed mean and vector below is scaled to; 0 until the first fold sets it."""
    audio_features: DecayedVector = msgspec.field(default_factory=DecayedVector)
    """Sums of the per-track rows of ``audio_features`` (mean and spread of the 12 features)."""
    embeddings: dict[str, DecayedVector] = {}
    """User vectors by embedding space (``"audio"``; later ALS factors): decayed means of item vectors."""
    familiarity: DecayedMean = msgspec.field(default_factory=DecayedMean)
    """Share of listens of known tracks (1) or artists (0.5): familiarity ↔ exploration."""
    release_age: DecayedMean = msgspec.field(default_factory=DecayedMean)
    """Mean ``ln(1 + age in years)`` of played tracks at play time: timelessness ↔ newness."""
    popularity: DecayedMean = msgspec.field(default_factory=DecayedMean)
    """Mean ``Track.popularity`` (0–100) of played tracks: commonality ↔ uniqueness."""
    # format version 3
    labels: dict[str, Affinity] = {}
    """Affinities for the tracks' annotation labels, keyed ``"kind:value"`` (``"mood:happy"``,
    ``"activity:workout"``), each event's weight scaled by the label's confidence (``annotate/``)."""


@dataclass(frozen=True, slots=True)
class ProfileParams:
    short_half_life_s: float = 7 * DAY_S
    long_half_life_s: float = 180 * DAY_S
    top_k: int = 200
    rebase_after_s: float = field(init=False)
    """How far past the anchor an event may be before the profile is rebased (``decayed.py``)."""

    def __post_init__(self) -> None:
        shortest = min(self.short_half_life_s, self.long_half_life_s)
        object.__setattr__(self, "rebase_after_s", REBASE_HALF_LIVES * shortest)


_encoder = msgspec.msgpack.Encoder(enc_hook=enc_hook)
_decoder = msgspec.msgpack.Decoder(TasteProfile, dec_hook=dec_hook)


def encode(profile: TasteProfile) -> bytes:
    return _encoder.encode(profile)


def decode(data: bytes) -> TasteProfile:
    """Decode any format version up to ``FORMAT_VERSION``, migrated to the current one."""
    profile = _decoder.decode(data)
    if profile.version < FORMAT_VERSION:
        _migrate(profile)
    return profile


def _migrate(profile: TasteProfile) -> None:
    """v1 → v2 → v3: the new parts start empty (their defaults) and fill from the next events on.

    There is nothing to backfill from: no version kept per-event history, and the recommenders treat an
    empty distribution as "unknown", never as "dislikes everything".
    """
    profile.version = FORMAT_VERSION


def _count_listen(profile: TasteProfile, event: Play | Skip) -> None:
    profile.ms_played += event.ms_played
    if profile.first_listen is None or event.ts < profile.first_listen:
        profile.first_listen = event.ts
    if profile.last_listen is None or event.ts > profile.last_listen:
        profile.last_listen = event.ts
    context = event.context
    kind = context.partition(":")[0] if context else "unknown"  # "album:123" -> "album"
    counts = profile.skips_by_context.setdefault(kind, [0, 0])
    if isinstance(event, Skip):
        profile.skips += 1
        counts[0] += 1
    else:
        profile.plays += 1
    counts[1] += 1


def apply_event(
    profile: TasteProfile,
    event: Event,
    track: Track | None,
    params: ProfileParams,
    *,
    audio: TrackAudio | None = None,
    item_vectors: Sequence[ItemVector] = (),
    labels: Sequence[TrackLabel] = (),
) -> None:
    """Fold one event into the profile: one track, one artist, its genres, its labels and its distributions.

    The weight says how much the event tells about liking its track: completion for plays, -0.5 for
    skips, 2 for likes, -2 for unlikes. ``audio`` holds the track's stored audio features and
    similarity vector (None: it has none, and adds nothing to them); ``item_vectors`` are its vectors
    in further embedding spaces (e.g. ALS item factors), folded the same way as the audio vector;
    ``labels`` are its annotations as (``"kind:value"``, confidence), each bumped by weight × confidence.

    This is the profiler's per-event hot path, so it is written flat. Measured with cachegrind per
    play (``benchmarks/profiler.py``'s catalog): 31.1k instructions vs 31.9k for format 1; a release
    date and popularity add ~7k, audio features and the audio vector ~33k (five small numpy calls).
    """
    if isinstance(event, Play):
        _count_listen(profile, event)
        duration = event.duration_ms or (track.duration_ms if track else None) or FULL_LISTEN_MS
        weight = event.ms_played / duration
        if weight > 1.0:
            weight = 1.0
        listen = True
    elif isinstance(event, Skip):
        _count_listen(profile, event)
        weight, listen = -0.5, True
    elif isinstance(event, Like):
        profile.likes += 1
        weight, listen = 2.0, False
    elif isinstance(event, Unlike):
        weight, listen = -2.0, False
    else:
        return
    ts = event.ts.timestamp()
    track_id = event.track_id
    artist = (track.artist_name if track else None) or event.artist_name
    short, long = params.short_half_life_s, params.long_half_life_s
    if listen or weight > 0.0:
        # forward-decay factors, once for every distribution (decayed.py)
        delta = ts - profile.anchor
        if profile.anchor == 0.0:  # nothing folded yet: there is nothing to rescale either
            profile.anchor, delta = ts, 0.0
        elif delta > params.rebase_after_s:
            _rebase(profile, ts, params)
            delta = 0.0
        short_c, long_c = exp2(delta / short), exp2(delta / long)
        if listen and (track_id or artist):
            # how familiar the listen is, judged before it is folded into the tables below
            known = (
                personality.KNOWN_TRACK
                if track_id in profile.tracks
                else personality.KNOWN_ARTIST
                if artist in profile.artists
                else 0.0
            )
            familiarity = profile.familiarity
            familiarity.short_weight += short_c
            familiarity.long_weight += long_c
            familiarity.short += short_c * known
            familiarity.long += long_c * known
        if weight > 0.0 and (
            audio is not None
            or item_vectors
            or (track is not None and (track.release_date or track.popularity is not None))
        ):
            _fold_preferences(profile, ts, weight * short_c, weight * long_c, track, audio, item_vectors)
    if track_id:
        _bump(profile.tracks, track_id, weight, ts, short, long, params.top_k)
    if artist:
        _bump(profile.artists, artist, weight, ts, short, long, params.top_k)
    if track is not None:
        for genre in track.genres:
            _bump(profile.genres, genre, weight, ts, short, long, params.top_k)
    for key, confidence in labels:
        _bump(profile.labels, key, weight * confidence, ts, short, long, params.top_k)


def _fold_preferences(
    profile: TasteProfile,
    ts: float,
    short_c: float,
    long_c: float,
    track: Track | None,
    audio: TrackAudio | None,
    vectors: Sequence[ItemVector],
) -> None:
    """The preference distributions, for events of positive weight only (plays, likes).

    Skips and unlikes are left out: a negative weight could make a mean's total weight zero or a
    variance negative, and a skip says "not this", not "this instead" (skips stay in the affinities
    and the skip rates). Tracks without a release date, popularity or audio add nothing to that part.
    """
    if track is not None:
        if track.release_date:
            released = release_ts(track.release_date)
            if released is not None:
                age = ts - released  # personality.age_value, inlined
                value = log1p(age / YEAR_S) if age > 0.0 else 0.0
                mean = profile.release_age
                mean.short_weight += short_c
                mean.long_weight += long_c
                mean.short += short_c * value
                mean.long += long_c * value
        popularity = track.popularity
        if popularity is not None:
            mean = profile.popularity
            mean.short_weight += short_c
            mean.long_weight += long_c
            mean.short += short_c * popularity
            mean.long += long_c * popularity
    if audio is None and not vectors:
        return
    c2 = np.empty((2, 1))  # (short, long) as a column; cheaper than np.array of nested tuples
    c2[0, 0] = short_c
    c2[1, 0] = long_c
    if audio is not None:
        if audio.features is not None:
            fold_vector(profile.audio_features, audio.features, c2)
        if audio.vector is not None:
            _fold_item(profile, audio.vector, c2)
    for vector in vectors:
        _fold_item(profile, vector, c2)


def _fold_item(profile: TasteProfile, vector: ItemVector, c2: FloatArray) -> None:
    user = profile.embeddings.get(vector.space)
    if user is None:
        user = profile.embeddings[vector.space] = DecayedVector()
    fold_vector(user, vector.row, c2, version=vector.version)


def _rebase(profile: TasteProfile, ts: float, params: ProfileParams) -> None:
    """Move the anchor to ``ts`` (once every ~256 short half-lives; see ``decayed.py``). Sums from
    long before ``ts`` may underflow to 0: they are worth nothing by now."""
    short_f = exp2((profile.anchor - ts) / params.short_half_life_s)
    long_f = exp2((profile.anchor - ts) / params.long_half_life_s)
    for mean in (profile.familiarity, profile.release_age, profile.popularity):
        rescale_mean(mean, short_f, long_f)
    f2 = np.array(((short_f,), (long_f,)))
    for vector in (profile.audio_features, *profile.embeddings.values()):
        rescale_vector(vector, f2)
    profile.anchor = ts


def _bump(
    table: dict[str, Affinity], key: str, weight: float, ts: float, short: float, long: float, keep: int
) -> None:
    """``affinity.add`` inlined (the per-event hot path calls this 3–5 times; saves ~0.3 µs a call)."""
    score = table.get(key)
    if score is None:
        table[key] = Affinity(weight, weight, ts)
        prune(table, keep=keep)
        return
    delta = ts - score.ts
    if delta >= 0:
        score.short = score.short * exp2(-delta / short) + weight
        score.long = score.long * exp2(-delta / long) + weight
        score.ts = ts
    else:
        score.short += weight * exp2(delta / short)
        score.long += weight * exp2(delta / long)


def summary(
    profile: TasteProfile, params: ProfileParams, *, now: datetime | None = None, n: int = 20
) -> dict[str, Any]:
    """The JSON view served at ``GET /v1/users/{user}/profile``."""
    now_s = (now or datetime.now(UTC)).timestamp()
    listens = profile.plays + profile.skips
    halves = (params.short_half_life_s, params.long_half_life_s)
    return {
        "user_id": profile.user_id,
        "plays": profile.plays,
        "skips": profile.skips,
        "likes": profile.likes,
        "minutes_listened": round(profile.ms_played / 60000, 1),
        "skip_rate": round(profile.skips / listens, 4) if listens else None,
        "skip_rate_by_context": {
            kind: round(skips / total, 4)
            for kind, (skips, total) in sorted(profile.skips_by_context.items())
            if total
        },
        "first_listen": profile.first_listen,
        "last_listen": profile.last_listen,
        "top_tracks": view.top(profile.tracks, now=now_s, half_lives=halves, n=n),
        "top_artists": view.top(profile.artists, now=now_s, half_lives=halves, n=n),
        "top_genres": view.top(profile.genres, now=now_s, half_lives=halves, n=n),
        "top_labels": view.top_labels(profile.labels, now=now_s, half_lives=halves, n=n),
        "audio_features": view.audio_view(
            profile.audio_features, anchor=profile.anchor, now=now_s, half_lives=halves
        ),
        "embeddings": view.embeddings_view(
            profile.embeddings, anchor=profile.anchor, now=now_s, half_lives=halves
        ),
        "personality": personality.axes(
            familiarity=profile.familiarity,
            release_age=profile.release_age,
            popularity=profile.popularity,
            artists=profile.artists,
            anchor=profile.anchor,
            now=now_s,
            short_half_life_s=params.short_half_life_s,
            long_half_life_s=params.long_half_life_s,
        ),
        "updated_at": profile.updated_at,
    }
