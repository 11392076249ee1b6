"""The simulated catalog: artists with genres, albums with release dates, tracks with durations and a
Zipf-like popularity.

The catalog is held in memory as parallel arrays (about 250 bytes per track, so 1 M tracks is roughly
250 MB); only the events are streamed. Artists own contiguous album ranges and albums contiguous
track ranges, so "the tracks of this album" is a slice, not a lookup table.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from tastemaker.simulate import names
from tastemaker.simulate.genres import FAMILY_MEMBERS, GENRE_CUM, GENRES
from tastemaker.simulate.seeding import stable_seed

EARLIEST_YEAR = 1960
ARTIST_ZIPF = 0.9  # artist at popularity rank r gets weight (r + 1) ** -ARTIST_ZIPF


def pick_genre(u: float) -> int:
    """A genre drawn by how common it is, from one uniform."""
    return min(bisect_right(GENRE_CUM, u * GENRE_CUM[-1]), len(GENRES) - 1)


class Catalog:
    """Artists, albums and tracks as parallel arrays indexed by number; ids are ``sim:a{i}`` etc."""

    def __init__(self) -> None:
        self.artist_names: list[str] = []
        self.artist_genres: list[tuple[int, ...]] = []
        self.artist_first_track = array("l")  # artist a owns tracks [first[a], first[a + 1])
        self.album_names: list[str] = []
        self.album_artist = array("l")
        self.album_first_track = array("l")  # album b holds tracks [first[b], first[b + 1])
        self.album_release: list[str] = []
        self.track_names: list[str] = []
        self.track_album = array("l")
        self.track_artist = array("l")
        self.track_duration_ms = array("l")
        self.track_weight = array("d")
        self.genre_tracks: list[array[int]] = []  # per genre, tracks by weight, most popular first
        self.genre_cum: list[list[float]] = []  # per genre, cumulative weights of genre_tracks
        self._log_w_min = 0.0
        self._log_w_span = 1.0

    @property
    def n_tracks(self) -> int:
        return len(self.track_names)

    @property
    def n_artists(self) -> int:
        return len(self.artist_names)

    def popularity(self, track: int) -> float:
        """Spotify-style 0–100 popularity: the track's weight on a log scale across the catalog."""
        value = (math.log(self.track_weight[track]) - self._log_w_min) / self._log_w_span
        return round(100 * value, 1)

    def genre_track(self, genre: int, u: float) -> int:
        """A track of ``genre`` drawn in proportion to popularity, from one uniform."""
        cum = self.genre_cum[genre]
        if not cum:
            return self.popular_track(u)
        index = bisect_right(cum, u * cum[-1])
        return self.genre_tracks[genre][min(index, len(cum) - 1)]

    def popular_track(self, u: float) -> int:
        """A track from the genres by their share, for genres that happen to have no tracks."""
        genres = [g for g, cum in enumerate(self.genre_cum) if cum]
        genre = genres[min(int(u * len(genres)), len(genres) - 1)]
        return self.genre_tracks[genre][0]

    def track_genres(self, track: int) -> tuple[int, ...]:
        return self.artist_genres[self.track_artist[track]]


def build_catalog(*, seed: int, n_tracks: int, start: date) -> Catalog:
    """Generate ``n_tracks`` tracks by about ``n_tracks / 10`` artists, all released before ``start``.

    An artist's weight comes from a random Zipf rank, so a few artists dominate listening as they do
    in real catalogs.
    """
    if n_tracks < 1:
        msg = f"n_tracks = {n_tracks}: the catalog needs at least one track"
        raise ValueError(msg)
    rng = random.Random(stable_seed(seed, "catalog", n_tracks, start.isoformat()))
    catalog = Catalog()
    expected_artists = max(1, round(n_tracks / 10))
    while catalog.n_tracks < n_tracks:
        weight = (rng.randrange(expected_artists) + 1) ** -ARTIST_ZIPF
        _add_artist(catalog, rng)
        _add_discography(catalog, rng, catalog.n_artists - 1, weight, n_tracks, start)
    catalog.artist_first_track.append(n_tracks)
    catalog.album_first_track.append(n_tracks)
    _index_genres(catalog)
    return catalog


def _add_artist(catalog: Catalog, rng: random.Random) -> None:
    first = pick_genre(rng.random())
    genres = [first]
    for _ in range(rng.choices((0, 1, 2), (55, 35, 10))[0]):
        family = FAMILY_MEMBERS[GENRES[first].family]
        extra = rng.choice(family) if rng.random() < 0.7 else pick_genre(rng.random())
        if extra not in genres:
            genres.append(extra)
    catalog.artist_names.append(names.artist_name(rng, GENRES[first].family))
    catalog.artist_genres.append(tuple(genres))
    catalog.artist_first_track.append(catalog.n_tracks)


def _add_discography(
    catalog: Catalog, rng: random.Random, artist: int, weight: float, n_tracks: int, start: date
) -> None:
    """One to three albums of 5–15 tracks; the last artist takes whatever tracks remain."""
    last = start - timedelta(days=1)
    span = max(0, last.year - EARLIEST_YEAR)
    year = last.year - int(span * rng.random() ** 2.5)  # debuts skew recent, as streaming catalogs do
    n_albums = 1 + (rng.random() < 0.2) + (rng.random() < 0.05)
    median_s = GENRES[catalog.artist_genres[artist][0]].median_s
    for number in range(n_albums):
        remaining = n_tracks - catalog.n_tracks
        if remaining <= 0:
            return
        released = min(last, date(min(year, last.year), 1, 1) + timedelta(days=rng.randrange(365)))
        age_years = (start - released).days / 365.25
        recency = 1.0 + 3.0 * math.exp(-age_years / 1.5)
        album = len(catalog.album_names)
        catalog.album_names.append(names.album_title(rng, number))
        catalog.album_artist.append(artist)
        catalog.album_first_track.append(catalog.n_tracks)
        catalog.album_release.append(released.isoformat())
        for position in range(min(remaining, 5 + int(11 * rng.random() ** 2.5))):
            seconds = min(480.0, max(90.0, median_s * rng.lognormvariate(0.0, 0.28)))
            lead = 1.6 if position < 2 else 1.0
            catalog.track_names.append(names.title(rng))
            catalog.track_album.append(album)
            catalog.track_artist.append(artist)
            catalog.track_duration_ms.append(int(seconds * 1000))
            catalog.track_weight.append(weight * recency * lead * rng.lognormvariate(0.0, 0.6))
        year += rng.randint(1, 4)


def _index_genres(catalog: Catalog) -> None:
    """Per genre, its tracks by descending weight and their cumulative weights, for O(log n) draws."""
    members: list[list[int]] = [[] for _ in GENRES]
    for track, artist in enumerate(catalog.track_artist):
        for genre in catalog.artist_genres[artist]:
            members[genre].append(track)
    weights = catalog.track_weight
    for tracks in members:
        tracks.sort(key=lambda t: (-weights[t], t))
        catalog.genre_tracks.append(array("l", tracks))
        catalog.genre_cum.append(list(accumulate(weights[t] for t in tracks)))
    logs = [math.log(w) for w in weights]
    catalog._log_w_min = min(logs)
    catalog._log_w_span = max(max(logs) - catalog._log_w_min, 1e-9)
