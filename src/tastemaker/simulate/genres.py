"""The genres of the simulated world: names, families, how common each is, and typical track length.

Families make tastes realistic: a listener who likes techno is more likely to like house than
bluegrass, and an artist's second genre usually comes from the same family as its first.
"""

from __future__ import annotations

from itertools import accumulate
from typing import NamedTuple


class Genre(NamedTuple):
    name: str
    family: str
    weight: float  # relative share of artists and of listeners' first genre
    median_s: float  # median track duration in seconds


GENRES: tuple[Genre, ...] = (
    Genre("pop", "pop", 9.0, 205),
    Genre("dance pop", "pop", 4.0, 200),
    Genre("indie pop", "pop", 3.0, 215),
    Genre("k-pop", "pop", 2.5, 200),
    Genre("j-pop", "pop", 1.2, 235),
    Genre("synthpop", "pop", 1.5, 225),
    Genre("singer-songwriter", "pop", 2.0, 230),
    Genre("rock", "rock", 6.0, 235),
    Genre("indie rock", "rock", 4.0, 225),
    Genre("alternative rock", "rock", 3.5, 230),
    Genre("classic rock", "rock", 3.0, 260),
    Genre("punk", "rock", 1.5, 160),
    Genre("metal", "rock", 3.0, 290),
    Genre("shoegaze", "rock", 0.8, 280),
    Genre("hip hop", "hip hop", 8.0, 210),
    Genre("rap", "hip hop", 5.0, 200),
    Genre("trap", "hip hop", 3.0, 180),
    Genre("r&b", "hip hop", 4.0, 215),
    Genre("soul", "hip hop", 2.0, 220),
    Genre("funk", "hip hop", 1.2, 250),
    Genre("house", "electronic", 3.0, 330),
    Genre("deep house", "electronic", 1.8, 360),
    Genre("techno", "electronic", 2.5, 380),
    Genre("trance", "electronic", 1.2, 370),
    Genre("drum and bass", "electronic", 1.2, 300),
    Genre("dubstep", "electronic", 1.0, 270),
    Genre("edm", "electronic", 2.5, 200),
    Genre("ambient", "electronic", 1.5, 360),
    Genre("lo-fi", "electronic", 2.0, 140),
    Genre("jazz", "jazz", 2.5, 330),
    Genre("bebop", "jazz", 0.7, 300),
    Genre("bossa nova", "jazz", 0.8, 190),
    Genre("classical", "classical", 2.0, 420),
    Genre("baroque", "classical", 0.7, 300),
    Genre("soundtrack", "classical", 1.8, 190),
    Genre("folk", "folk", 2.0, 215),
    Genre("country", "folk", 4.0, 200),
    Genre("americana", "folk", 1.0, 230),
    Genre("bluegrass", "folk", 0.5, 180),
    Genre("blues", "folk", 1.2, 260),
    Genre("latin", "latin", 4.0, 210),
    Genre("reggaeton", "latin", 3.5, 205),
    Genre("reggae", "latin", 1.5, 230),
    Genre("afrobeats", "latin", 2.0, 200),
    Genre("flamenco", "latin", 0.5, 250),
)

GENRE_NAMES: tuple[str, ...] = tuple(g.name for g in GENRES)
GENRE_CUM: tuple[float, ...] = tuple(accumulate(g.weight for g in GENRES))
FAMILY_MEMBERS: dict[str, tuple[int, ...]] = {
    genre.family: tuple(i for i, g in enumerate(GENRES) if g.family == genre.family) for genre in GENRES
}


def slug(index: int) -> str:
    """A genre name fit for ids and contexts: ``"drum and bass"`` → ``"drum-and-bass"``."""
    return GENRES[index].name.replace(" ", "-").replace("&", "n")
