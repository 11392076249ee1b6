"""A small synthetic world with known structure: listeners each love one of a few genres.

Each of ``users`` listeners draws ``per_user`` distinct items from their genre's ``items_per_genre``
(plays of 1–20, skewed), plus one item from anywhere (noise). Whatever co-listening a model finds,
it can only have learnt from this structure, so "recommends held-out items of the user's genre" is
the behaviour to test.
"""

from __future__ import annotations

import numpy as np

from tastemaker.recommend.interactions import Interactions, from_triples


def genre_world(
    *, users: int = 240, genres: int = 6, items_per_genre: int = 40, per_user: int = 12, seed: int = 0
) -> tuple[Interactions, dict[str, int]]:
    """The interactions, and each user's genre (item ``i`` belongs to genre ``i // items_per_genre``)."""
    rng = np.random.default_rng(seed)
    rows, cols, plays = [], [], []
    genre_of: dict[str, int] = {}
    n_items = genres * items_per_genre
    for user in range(users):
        genre = user % genres
        name = f"u{user:04d}"
        genre_of[name] = genre
        liked = genre * items_per_genre + rng.choice(items_per_genre, size=per_user, replace=False)
        noise = rng.integers(n_items, size=1)
        for item in np.concatenate([liked, noise]):
            rows.append(name)
            cols.append(f"i{int(item):04d}")
            plays.append(float(rng.zipf(2.0) % 20 + 1))
    return from_triples(rows, cols, plays), genre_of


def genre_of_item(item_id: str, items_per_genre: int = 40) -> int:
    return int(item_id[1:]) // items_per_genre
