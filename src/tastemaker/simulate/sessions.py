"""One listening session: which tracks, in what context, and what the listener does with each.

A session has a kind (radio, an editorial playlist, an album, an artist, the listener's collection,
or a search), 3–30 picks, and a deadline (the next session). Each pick is a favourite (familiarity),
an exploration outside the taste (novelty) or a track of a genre drawn from the taste, biased to
popular tracks. A poor fit is skipped more often, the more so the higher the listener's skip
propensity; a good fit is sometimes liked, and a liked artist sometimes followed. Now and then the
listener makes a playlist of what they heard.

Each session draws from its own ``random.Random`` seeded by ``(seed, listener, day, session)``, so
sessions are independent of the order they are generated in. ``ts`` of a play is when it started;
within a session every event's ``ts`` is strictly later than the one before.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import accumulate

from tastemaker.events.schema import (
    Event,
    Follow,
    Like,
    Play,
    PlaylistAdd,
    PlaylistCreate,
    Search,
    Skip,
    Unlike,
)
from tastemaker.simulate import names
from tastemaker.simulate.catalog import pick_genre
from tastemaker.simulate.genres import GENRE_NAMES, slug
from tastemaker.simulate.listeners import PLATFORMS, pick_taste_genre
from tastemaker.simulate.seeding import stable_seed
from tastemaker.simulate.world import ListenerDay, World, album_id, artist_id, track_id

KINDS = ("radio", "playlist", "album", "artist", "collection", "search")
_KIND_CUM = tuple(accumulate((30, 22, 14, 10, 18, 6)))
SKIP_FLOOR = 0.04  # even a perfect fit is skipped this often, more so by a skippy listener
PLAYLIST_RATE = 0.03  # sessions that end with a new playlist
MIN_TRACK_ROOM_MS = 30_000  # no new track starts closer than this to the deadline
PLAYLIST_ROOM_MS = 100_000  # making a playlist takes up to 12 adds of up to 8 s


def simulate_session(
    world: World, state: ListenerDay, *, day: int, number: int, start_ms: int, deadline_ms: int
) -> list[Event]:
    """The events of session ``number`` of a listener on ``day``, in time order."""
    session = Session(world, state, day=day, number=number, start_ms=start_ms, deadline_ms=deadline_ms)
    session.run()
    return session.events


class Session:
    """Builds one session's events; ``now_ms`` is the clock, in ms after the day's midnight UTC."""

    def __init__(
        self, world: World, state: ListenerDay, *, day: int, number: int, start_ms: int, deadline_ms: int
    ) -> None:
        listener = state.listener
        self.catalog = world.catalog
        self.track_artist = world.catalog.track_artist
        self.artist_genres = world.catalog.artist_genres
        self.durations = world.catalog.track_duration_ms
        self.listener = listener
        self.user = listener.user_id
        self.rng = random.Random(stable_seed(world.seed, "session", listener.number, day, number))
        self.taste = state.taste
        self.favourites = state.favourites
        self.midnight = world.day_start(day)
        self.now_ms = start_ms
        self.deadline_ms = deadline_ms
        self.id_prefix = f"sim:{world.tag}:{listener.number}.{day}.{number}."
        self.playlist_id = f"sim:pl:{world.tag}:{listener.number}.{day}.{number}"
        self.events: list[Event] = []
        self.played: list[int] = []
        self.context = "radio"
        self.shuffle = False
        self.platform = listener.platform if self.rng.random() < 0.85 else self.rng.choice(PLATFORMS)

    def ts(self, offset_ms: int = 0) -> datetime:
        return self.midnight + timedelta(0, 0, 0, self.now_ms + offset_ms)

    def next_id(self) -> str:
        return f"{self.id_prefix}{len(self.events)}"

    def run(self) -> None:
        rng = self.rng
        kind = KINDS[min(bisect_right(_KIND_CUM, rng.random() * _KIND_CUM[-1]), len(KINDS) - 1)]
        pick, first_reason, picks = getattr(self, f"_plan_{kind}")()
        self._play_all(pick, first_reason, picks)
        room = self.now_ms + PLAYLIST_ROOM_MS < self.deadline_ms
        if self.played and room and rng.random() < PLAYLIST_RATE:
            self._make_playlist()

    # -- plans: each sets context and shuffle, and returns (pick, first reason_start, number of picks)

    def _plan_radio(self) -> tuple[Callable[[], int], str, int]:
        self.context = "radio"
        return self._taste_pick, "clickrow", self._length()

    def _plan_playlist(self) -> tuple[Callable[[], int], str, int]:
        genre = pick_taste_genre(self.taste, self.rng.random())
        self.context = f"playlist:sim:editorial:{slug(genre)}"
        self.shuffle = self.rng.random() < 0.6
        return lambda: self._genre_pick(genre), "playbtn", self._length()

    def _plan_album(self) -> tuple[Callable[[], int], str, int]:
        album = self.catalog.track_album[self._taste_pick()]
        first = self.catalog.album_first_track[album]
        size = self.catalog.album_first_track[album + 1] - first
        self.context = f"album:{album_id(album)}"
        position = iter(range(first, first + size))
        return lambda: next(position), "playbtn", size

    def _plan_artist(self) -> tuple[Callable[[], int], str, int]:
        artist = self.catalog.track_artist[self._taste_pick()]
        self.context = f"artist:{artist_id(artist)}"
        if self.rng.random() < 0.05:
            self._follow(artist)
        return lambda: self._artist_pick(artist), "clickrow", self._length()

    def _plan_collection(self) -> tuple[Callable[[], int], str, int]:
        self.context = "collection"
        self.shuffle = self.rng.random() < 0.8
        return self._collection_pick, "playbtn", self._length()

    def _plan_search(self) -> tuple[Callable[[], int], str, int]:
        """Search for an artist by (part of) its name, then play from its tracks."""
        artist = self.catalog.track_artist[self._taste_pick()]
        name = self.catalog.artist_names[artist].lower()
        query = name[: max(3, int(len(name) * self.rng.uniform(0.4, 1.0)))]
        self.events.append(Search(user_id=self.user, ts=self.ts(), event_id=self.next_id(), query=query))
        self.now_ms += self.rng.randint(3_000, 15_000)
        self.context = "search"
        return lambda: self._artist_pick(artist), "clickrow", self._length()

    def _length(self) -> int:
        return 3 + int(27 * self.rng.random() ** 2)

    # -- picks

    def _taste_pick(self) -> int:
        rng, listener = self.rng, self.listener
        roll = rng.random()
        if roll < listener.familiarity:
            return self.favourites[int(rng.random() * len(self.favourites))]
        if roll < listener.familiarity + listener.novelty:
            return self.catalog.genre_track(pick_genre(rng.random()), rng.random())
        return self.catalog.genre_track(pick_taste_genre(self.taste, rng.random()), rng.random())

    def _genre_pick(self, genre: int) -> int:
        if self.rng.random() < self.listener.novelty:
            return self._taste_pick()
        return self.catalog.genre_track(genre, self.rng.random())

    def _artist_pick(self, artist: int) -> int:
        """The more popular of two of the artist's tracks: top tracks come up most."""
        first = self.catalog.artist_first_track[artist]
        size = self.catalog.artist_first_track[artist + 1] - first
        a = first + int(self.rng.random() * size)
        b = first + int(self.rng.random() * size)
        return a if self.catalog.track_weight[a] >= self.catalog.track_weight[b] else b

    def _collection_pick(self) -> int:
        if self.rng.random() < 0.75:
            return self.favourites[int(self.rng.random() * len(self.favourites))]
        return self._taste_pick()

    # -- actions

    def _play_all(self, pick: Callable[[], int], reason: str, picks: int) -> None:
        last = -1
        for _ in range(picks):
            if self.now_ms + MIN_TRACK_ROOM_MS > self.deadline_ms:
                return
            track = pick()
            if track == last:
                track = pick()
            last = track
            reason = self._listen(track, reason)
            if reason == "endplay":
                return

    def _is_favourite(self, track: int) -> bool:
        """Favourites are a short sorted tuple: a bisect, and no set to keep per cached listener."""
        favourites = self.favourites
        index = bisect_left(favourites, track)
        return index < len(favourites) and favourites[index] == track

    def _fit(self, track: int) -> float:
        """How well ``track`` fits the taste, 0–1: its best genre's weight, or 1 for a favourite."""
        if self._is_favourite(track):
            return 1.0
        fit = self.taste.fit
        genres = self.artist_genres[self.track_artist[track]]
        if len(genres) == 1:
            return fit.get(genres[0], 0.0)
        return max([fit.get(genre, 0.0) for genre in genres])

    def _listen(self, track: int, reason_start: str) -> str:
        """Play or skip ``track``; returns why it ended, which is why the next one starts."""
        rng, listener = self.rng, self.listener
        fit = self._fit(track)
        duration = self.durations[track]
        if rng.random() < SKIP_FLOOR + listener.skip_propensity * (0.25 + 0.75 * (1.0 - fit) ** 1.3):
            self._skip(track, 1_500 + int(rng.random() * min(28_500, duration - 1_500)))
            return "fwdbtn"
        ms_played, reason_end = duration, "trackdone"
        if rng.random() < 0.08:
            ms_played, reason_end = int(duration * (0.3 + 0.6 * rng.random())), "fwdbtn"
        if self.now_ms + ms_played > self.deadline_ms:
            ms_played, reason_end = max(1_000, self.deadline_ms - self.now_ms), "endplay"
        self._play(track, ms_played, reason_start, reason_end)
        if ms_played > 10_000 and rng.random() < listener.like_rate * fit:
            self._like(track, ms_played)
        self.now_ms += ms_played + 1 + int(rng.random() * 2_500)
        return reason_end

    def _names(self, track: int) -> tuple[str, str, str]:
        """Track, artist and album name, as a scrobbler would send them."""
        catalog = self.catalog
        artist = catalog.artist_names[catalog.track_artist[track]]
        return catalog.track_names[track], artist, catalog.album_names[catalog.track_album[track]]

    def _play(self, track: int, ms_played: int, reason_start: str, reason_end: str) -> None:
        """The hot path (most events are plays): names are looked up inline, not through helpers."""
        catalog = self.catalog
        events = self.events
        self.played.append(track)
        events.append(
            Play(
                user_id=self.user,
                ts=self.midnight + timedelta(0, 0, 0, self.now_ms),  # positional: twice as fast
                event_id=f"{self.id_prefix}{len(events)}",
                track_id=f"sim:t{track}",
                track_name=catalog.track_names[track],
                artist_name=catalog.artist_names[self.track_artist[track]],
                album_name=catalog.album_names[catalog.track_album[track]],
                duration_ms=self.durations[track],
                ms_played=ms_played,
                context=self.context,
                reason_start=reason_start,
                reason_end=reason_end,
                shuffle=self.shuffle,
                platform=self.platform,
            )
        )

    def _skip(self, track: int, ms_played: int) -> None:
        name, artist, album = self._names(track)
        self.events.append(
            Skip(
                user_id=self.user,
                ts=self.ts(),
                event_id=self.next_id(),
                track_id=track_id(track),
                track_name=name,
                artist_name=artist,
                album_name=album,
                duration_ms=self.catalog.track_duration_ms[track],
                ms_played=ms_played,
                context=self.context,
                reason_end="fwdbtn",
            )
        )
        if self._is_favourite(track) and self.rng.random() < 0.02:
            unlike = Unlike(
                user_id=self.user, ts=self.ts(1), event_id=self.next_id(), track_id=track_id(track)
            )
            self.events.append(unlike)
        self.now_ms += ms_played + 1 + int(self.rng.random() * 1_000)

    def _like(self, track: int, ms_played: int) -> None:
        """A like while the track plays, and now and then a follow of its artist right after."""
        offset = 1 + int(self.rng.random() * (ms_played - 3))
        name, artist, _ = self._names(track)
        self.events.append(
            Like(
                user_id=self.user,
                ts=self.ts(offset),
                event_id=self.next_id(),
                track_id=track_id(track),
                track_name=name,
                artist_name=artist,
            )
        )
        if self.rng.random() < 0.15:
            self._follow(self.catalog.track_artist[track], offset + 1)

    def _follow(self, artist: int, offset_ms: int = 0) -> None:
        event_id = self.next_id()
        target = artist_id(artist)
        self.events.append(
            Follow(
                user_id=self.user,
                ts=self.ts(offset_ms),
                event_id=event_id,
                target_type="artist",
                target_id=target,
            )
        )
        if offset_ms == 0:
            self.now_ms += 1 + int(self.rng.random() * 4_000)

    def _make_playlist(self) -> None:
        rng = self.rng
        genre = GENRE_NAMES[self.taste.top_genre()]
        name = names.playlist_name(rng, genre)
        self.events.append(
            PlaylistCreate(
                user_id=self.user,
                ts=self.ts(),
                event_id=self.next_id(),
                playlist_id=self.playlist_id,
                name=name,
            )
        )
        chosen = list(dict.fromkeys(self.played + list(self.favourites)))[: rng.randint(3, 12)]
        for position, track in enumerate(chosen):
            self.now_ms += rng.randint(2_000, 8_000)
            self.events.append(
                PlaylistAdd(
                    user_id=self.user,
                    ts=self.ts(),
                    event_id=self.next_id(),
                    playlist_id=self.playlist_id,
                    position=position,
                    track_id=track_id(track),
                    track_name=self.catalog.track_names[track],
                )
            )
