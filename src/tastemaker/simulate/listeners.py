"""Listeners: latent tastes over genres that drift, habits, and favourite tracks.

Nothing here is stored per listener. Everything is a pure function of ``(seed, listener index)`` and,
for tastes and favourites, of the day, computed from keyed uniforms in a few microseconds; so the
simulator's memory does not grow with the number of listeners, and a listener's behaviour does not
depend on who else is in the world.

A taste is a mixture over one to five genres (exponential weights, i.e. a flat Dirichlet), mostly from
one family. It drifts: every ``EPOCH_DAYS`` a keyframe perturbs the weights and adds a "drift genre";
the taste on a given day interpolates linearly between the surrounding keyframes.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

from tastemaker.simulate.catalog import Catalog, pick_genre
from tastemaker.simulate.genres import FAMILY_MEMBERS, GENRES
from tastemaker.simulate.seeding import uniforms16

EPOCH_DAYS = 14
TIMEZONES_H = (-8, -7, -6, -5, -5, -5, -4, -3, 0, 0, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 10)
PLATFORMS = ("android", "android", "android", "ios", "ios", "ios", "desktop", "desktop", "web", "cast")
N_FAVOURITES = 8  # core favourites for life, plus as many that change every epoch


class Listener(NamedTuple):
    """A listener's fixed traits; ``genres``/``weights`` are the latent base taste, heaviest first."""

    number: int  # the listener's index: user_id is derived from it
    user_id: str
    tz_hours: int
    activity: float  # mean sessions per day
    skip_propensity: float  # how strongly a poor fit leads to a skip, 0–1
    novelty: float  # share of picks outside the listener's taste
    familiarity: float  # share of picks from favourites
    like_rate: float
    platform: str
    genres: tuple[int, ...]
    weights: tuple[float, ...]


class Taste(NamedTuple):
    """The taste on one day: ``genres`` with cumulative weights ``cum`` for drawing, and ``fit`` per
    genre scaled so that the favourite genre is 1.0."""

    genres: tuple[int, ...]
    cum: tuple[float, ...]
    fit: dict[int, float]

    def top_genre(self) -> int:
        return max(self.fit, key=lambda g: (self.fit[g], -g))


def user_id(index: int) -> str:
    return f"user{index:05d}"


def habits(seed: int, index: int) -> tuple[int, float]:
    """Just the time zone (hours from UTC) and mean sessions per day: all that scheduling a day needs."""
    u = uniforms16(seed, "listener", index)
    return _timezone(u[0]), _activity(u[2])


def _timezone(u: float) -> int:
    return TIMEZONES_H[int(u * len(TIMEZONES_H))]


def _activity(u: float) -> float:
    return 0.15 + 4.0 * float(u**2.2)


def make_listener(seed: int, index: int) -> Listener:
    """Draw a listener's traits and base taste from 32 keyed uniforms."""
    u = uniforms16(seed, "listener", index) + uniforms16(seed, "listener+", index)
    n_genres = 1 + min(4, int(u[8] * u[9] * 9))
    genres = [pick_genre(u[10])]
    for i in range(1, n_genres):
        if u[10 + 2 * i] < 0.65:
            family = FAMILY_MEMBERS[GENRES[genres[int(u[11 + 2 * i] * len(genres))]].family]
            candidate = family[int(u[11 + 2 * i] * 7919) % len(family)]
        else:
            candidate = pick_genre(u[11 + 2 * i])
        if candidate not in genres:
            genres.append(candidate)
    raw = sorted((-math.log(1.0 - u[20 + i]) for i in range(len(genres))), reverse=True)
    total = sum(raw)
    return Listener(
        number=index,
        user_id=user_id(index),
        tz_hours=_timezone(u[0]),
        activity=_activity(u[2]),
        skip_propensity=0.1 + 0.6 * (u[3] + u[4]) / 2,
        novelty=0.02 + 0.25 * u[5] ** 2,
        familiarity=0.1 + 0.4 * u[6],
        like_rate=0.01 + 0.08 * u[7] ** 2,
        platform=PLATFORMS[int(u[1] * len(PLATFORMS))],
        genres=tuple(genres),
        weights=tuple(w / total for w in raw),
    )


class Keyframe(NamedTuple):
    """The taste at the start of an epoch: perturbed base weights plus one drift genre."""

    weights: tuple[float, ...]
    drift: int
    drift_weight: float


def keyframe(listener: Listener, seed: int, epoch: int) -> Keyframe:
    u = uniforms16(seed, "keyframe", listener.number, epoch)
    weights = tuple(w * math.exp(0.7 * (u[i] + u[i + 5] - 1.0)) for i, w in enumerate(listener.weights))
    if u[10] < 0.7:
        family = FAMILY_MEMBERS[GENRES[listener.genres[int(u[11] * len(listener.genres))]].family]
        drift = family[int(u[12] * len(family))]
    else:
        drift = pick_genre(u[12])
    return Keyframe(weights, drift, max(weights) * (0.05 + 0.3 * u[13] + listener.novelty))


def taste_between(listener: Listener, before: Keyframe, after: Keyframe, f: float) -> Taste:
    """The taste a fraction ``f`` of the way from keyframe ``before`` to keyframe ``after``."""
    mixed = {
        g: (1 - f) * a + f * b for g, a, b in zip(listener.genres, before.weights, after.weights, strict=True)
    }
    mixed[before.drift] = mixed.get(before.drift, 0.0) + (1 - f) * before.drift_weight
    mixed[after.drift] = mixed.get(after.drift, 0.0) + f * after.drift_weight
    genres = tuple(sorted(mixed))
    top = max(mixed.values())
    return Taste(
        genres=genres,
        cum=tuple(accumulate(mixed[g] for g in genres)),
        fit={g: w / top for g, w in mixed.items()},
    )


def taste_on(listener: Listener, seed: int, day: int) -> Taste:
    """The listener's taste on ``day`` (days since the start), between two keyframes."""
    epoch, offset = divmod(day, EPOCH_DAYS)
    before, after = keyframe(listener, seed, epoch), keyframe(listener, seed, epoch + 1)
    return taste_between(listener, before, after, offset / EPOCH_DAYS)


def pick_taste_genre(taste: Taste, u: float) -> int:
    """A genre drawn from the taste mixture, from one uniform."""
    cum = taste.cum
    return taste.genres[min(bisect_right(cum, u * cum[-1]), len(cum) - 1)]


def favourites(listener: Listener, seed: int, epoch: int, taste: Taste, catalog: Catalog) -> tuple[int, ...]:
    """Tracks the listener returns to in ``epoch``, sorted: half for life, half for this epoch, all
    drawn from ``taste`` (the taste at the start of the epoch), biased to popular tracks."""
    core = uniforms16(seed, "core", listener.number)
    recent = uniforms16(seed, "recent", listener.number, epoch)
    picked = {
        catalog.genre_track(pick_taste_genre(taste, u[i]), u[i + 1] ** 2)
        for u in (core, recent)
        for i in range(0, 2 * N_FAVOURITES, 2)
    }
    return tuple(sorted(picked))
