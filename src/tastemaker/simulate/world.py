"""The world: its parameters, its catalog, and stable names for everything in it.

A ``World`` holds the catalog, each listener's time zone and activity (9 bytes per listener, for
scheduling days), and a bounded cache of recent listeners; listeners themselves are recomputed from
``(seed, index)`` when needed (see ``listeners.py``).

Its ``tag`` names the configuration inside every event id, so that ids are equal across runs of the
same configuration (re-sending adds nothing) and differ between configurations.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from tastemaker.simulate.catalog import Catalog, build_catalog
from tastemaker.simulate.listeners import (
    EPOCH_DAYS,
    Keyframe,
    Listener,
    Taste,
    favourites,
    habits,
    keyframe,
    make_listener,
    taste_between,
)
from tastemaker.simulate.seeding import short_digest

SIM_VERSION = 1  # bump when the generated stream changes, so that old and new ids never collide
CATALOG_USER = "catalog"
CACHED_LISTENERS = 40_000  # about 1.6 KB each, so at most ~65 MB whatever the number of users


@dataclass(frozen=True)
class World:
    """A simulated world: ``users`` listeners over ``days`` days from ``start`` (00:00 UTC), ``tracks``
    tracks. Build it with ``World.build``; stream its events with ``tastemaker.simulate.events``."""

    seed: int
    users: int
    tracks: int
    start: date
    days: int
    catalog: Catalog = field(repr=False)
    tag: str
    tz_hours: array[int] = field(init=False, repr=False, compare=False)  # per listener, for scheduling
    activity: array[float] = field(init=False, repr=False, compare=False)  # mean sessions per day
    _cache: ListenerCache = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tz_hours, activity = array("b"), array("d")
        for index in range(self.users):
            tz, mean = habits(self.seed, index)
            tz_hours.append(tz)
            activity.append(mean)
        object.__setattr__(self, "tz_hours", tz_hours)
        object.__setattr__(self, "activity", activity)
        object.__setattr__(self, "_cache", ListenerCache(self.seed, self.catalog, CACHED_LISTENERS))

    @classmethod
    def build(cls, *, seed: int, users: int, tracks: int, start: date, days: int) -> World:
        """Generate the catalog (about 250 bytes per track) and each listener's schedule habits."""
        if users < 0 or days < 0:
            msg = f"users = {users}, days = {days}: both must be >= 0"
            raise ValueError(msg)
        catalog = build_catalog(seed=seed, n_tracks=tracks, start=start)
        tag = short_digest(SIM_VERSION, seed, tracks, start.isoformat())
        return cls(seed=seed, users=users, tracks=tracks, start=start, days=days, catalog=catalog, tag=tag)

    def listener(self, index: int) -> Listener:
        return make_listener(self.seed, index)

    def listener_on(self, index: int, day: int) -> ListenerDay:
        """The listener with its taste and favourites on ``day``; cached for the most recent listeners."""
        return self._cache.get(index, day)

    def day_start(self, day: int) -> datetime:
        """Midnight UTC of simulated day ``day`` (0-based)."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC) + timedelta(days=day)


def track_id(track: int) -> str:
    return f"sim:t{track}"


def artist_id(artist: int) -> str:
    return f"sim:a{artist}"


def album_id(album: int) -> str:
    return f"sim:al{album}"


class ListenerDay(NamedTuple):
    listener: Listener
    taste: Taste
    favourites: tuple[int, ...]  # sorted


class _Epoch(NamedTuple):
    listener: Listener
    epoch: int
    before: Keyframe
    after: Keyframe
    favourites: tuple[int, ...]


class ListenerCache:
    """Listeners with their current epoch's keyframes and favourites, least recently used dropped.

    Recomputing them costs tens of microseconds, about as much as a whole session's events, so they
    are kept for the listeners seen most recently; the bound keeps memory flat for any world.
    """

    def __init__(self, seed: int, catalog: Catalog, capacity: int) -> None:
        self.seed = seed
        self.catalog = catalog
        self.capacity = capacity
        self.entries: OrderedDict[int, _Epoch] = OrderedDict()

    def get(self, index: int, day: int) -> ListenerDay:
        epoch, offset = divmod(day, EPOCH_DAYS)
        entry = self.entries.get(index)
        if entry is None or entry.epoch != epoch:
            entry = self._load(index, epoch, entry.listener if entry else None)
            self.entries[index] = entry
            self.entries.move_to_end(index)
            if len(self.entries) > self.capacity:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(index)
        taste = taste_between(entry.listener, entry.before, entry.after, offset / EPOCH_DAYS)
        return ListenerDay(entry.listener, taste, entry.favourites)

    def _load(self, index: int, epoch: int, listener: Listener | None) -> _Epoch:
        seed = self.seed
        listener = listener or make_listener(seed, index)
        before, after = keyframe(listener, seed, epoch), keyframe(listener, seed, epoch + 1)
        chosen = favourites(listener, seed, epoch, taste_between(listener, before, after, 0.0), self.catalog)
        return _Epoch(listener, epoch, before, after, chosen)
