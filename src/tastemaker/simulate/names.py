"""Plausible, deterministic names for artists, albums, tracks and playlists.

Names mix invented words built from syllables with common English title words, so that they read
like a real catalog ("Velora", "The Midnight Drivers", "Golden Hours") and stay unique enough to
search for. Every name comes from the ``random.Random`` handed in, so a seed fixes all of them.
"""

from __future__ import annotations

import random

_ONSETS = (
    "b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p",
    "pr", "r", "s", "sh", "sk", "st", "t", "tr", "v", "w", "y", "z",
)  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "y")
_CODAS = ("", "", "", "n", "r", "l", "s", "x", "th", "nd", "ck", "m")
_NOUNS = (
    "Heart", "Night", "Summer", "River", "Fire", "Dream", "City", "Ghost", "Light", "Rain", "Ocean",
    "Star", "Shadow", "Road", "Echo", "Moon", "Garden", "Mirror", "Storm", "Wave", "Signal", "Paper",
    "Diamond", "Engine", "Window", "Island", "Thunder", "Velvet", "Neon", "Satellite", "Horizon",
    "Letter", "Kingdom", "Desert", "Winter", "Morning", "Honey", "Silver", "Machine", "Circle",
)  # fmt: skip
_ADJECTIVES = (
    "Golden", "Broken", "Electric", "Silent", "Lonely", "Wild", "Endless", "Blue", "Crimson", "Secret",
    "Lost", "Sweet", "Cold", "Burning", "Hidden", "Fading", "Little", "Northern", "Slow", "Bright",
)  # fmt: skip
_VERBS = ("Dancing", "Running", "Falling", "Waiting", "Dreaming", "Chasing", "Holding", "Drifting")
_PLAYLIST_WORDS = ("favourites", "mix", "vibes", "for the road", "late night", "workout", "chill", "focus")


def word(rng: random.Random, syllables: int) -> str:
    """An invented, pronounceable word such as ``"Kravo"``; two or three syllables read as a name."""
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def artist_name(rng: random.Random, family: str) -> str:
    """A band, a person or a producer alias, in the style of the artist's genre family."""
    roll = rng.random()
    if family == "electronic" and roll < 0.35:
        return f"DJ {word(rng, 2)}" if roll < 0.15 else word(rng, 2).upper()
    if family == "hip hop" and roll < 0.3:
        return f"{rng.choice(('Lil', 'Young', 'MC', 'Big'))} {word(rng, 2)}"
    if family == "jazz" and roll < 0.3:
        return f"{word(rng, 2)} {word(rng, 3)} {rng.choice(('Trio', 'Quartet', 'Ensemble'))}"
    if roll < 0.3:
        return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}s"
    if roll < 0.6:
        return f"{word(rng, 2)} {word(rng, rng.choice((2, 3)))}"
    if roll < 0.8:
        return word(rng, rng.choice((2, 3)))
    return f"{word(rng, 2)} & the {rng.choice(_NOUNS)}s"


def title(rng: random.Random) -> str:
    """A track or album title: ``"Silent River"``, ``"Chasing Neon"``, ``"Heart of Winter"``, ``"Zaloun"``."""
    roll = rng.random()
    if roll < 0.35:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    if roll < 0.5:
        return f"{rng.choice(_VERBS)} {rng.choice(_NOUNS)}"
    if roll < 0.65:
        return f"{rng.choice(_NOUNS)} of {rng.choice(_NOUNS)}"
    if roll < 0.8:
        return rng.choice(_NOUNS)
    return word(rng, rng.choice((2, 3)))


def album_title(rng: random.Random, number: int) -> str:
    """An album title; now and then a plain numbered one, as real discographies have."""
    if rng.random() < 0.08:
        return f"Vol. {number + 1}" if number else "Debut"
    return title(rng)


def playlist_name(rng: random.Random, genre: str) -> str:
    """What a listener might call a playlist: ``"techno workout"``, ``"my jazz favourites"``."""
    roll = rng.random()
    if roll < 0.4:
        return f"{genre} {rng.choice(_PLAYLIST_WORDS)}"
    if roll < 0.7:
        return f"my {genre} {rng.choice(_PLAYLIST_WORDS)}"
    return f"{rng.choice(_ADJECTIVES).lower()} {rng.choice(_PLAYLIST_WORDS)}"
