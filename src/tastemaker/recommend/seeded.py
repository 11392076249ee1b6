"""Recommendations from seeds, Spotify's retired ``/recommendations``: up to 5 seed tracks, artists
or genres, tunables that filter (``min_``/``max_``) and re-rank (``target_``), and the listener's taste.

How a request is answered (every step is ANN or a few hundred rows, never the whole catalogue):

1. **Each seed's pool.** A seed becomes a query vector in the ALS item-factor space: a track its own
   factors; an artist or a genre the mean direction of its (up to ``members``) most popular tracks.
   The pool is the seed's ``pool_size`` nearest items in ``model.item_index`` (inner product), plus,
   for an artist or genre, those member tracks themselves. ``initialPoolSize`` is its size.
2. **The listener's own picks** (a user the model was trained on): the ``limit`` items nearest to the
   user vector in the same index, i.e. the top of ``model.recommend`` without the co-occurrence part,
   join the candidates; they still have to be close to a seed to rank.
3. **Score.** ``(1 − w) · seed + w · taste`` with ``w = taste_weight`` (0.3): ``seed`` is the best
   cosine between the candidate and any seed's query vector, ``taste`` the candidate's ALS score for
   the user divided by the best one among the candidates (0 for a user the model does not know).
4. **Tunables.** ``min_``/``max_`` drop candidates (``afterFilteringSize`` counts what is left of each
   seed's pool); ``target_`` re-ranks: ``(1 − t) · score / best + t · closeness``, ``t = target_weight``.
5. The seeds themselves never come back; the top ``limit`` do, best first.

Catalog facts (each track's artist, genres, duration, popularity) and audio features live in a
``CatalogIndex`` built once per model version: the catalog part on first use, audio features as
tunables first ask for them (so features written after that are seen after the next ``train``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tastemaker.errors import NotFound
from tastemaker.recommend.ann import QUERY_EF
from tastemaker.recommend.model import Model
from tastemaker.recommend.tunables import AUDIO_FEATURES, COLUMN, FEATURES, Tunables
from tastemaker.storage.store import Store

SEED_KINDS = ("track", "artist", "genre")
MAX_SEEDS = 5
Columns = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SeededParams:
    pool_size: int = 200
    """ANN neighbours per seed."""
    members: int = 100
    """An artist's or genre's most popular tracks that make its query vector and join its pool."""
    cooccurrence_weight: float = 0.5
    """How much a seed's co-occurrence neighbours count against its factor-space cosine."""
    taste_weight: float = 0.3
    target_weight: float = 0.5


@dataclass(frozen=True)
class Seed:
    kind: str
    id: str


@dataclass(frozen=True)
class SeedReport:
    """Spotify's recommendation seed object, less ``href``."""

    id: str
    type: str
    initialPoolSize: int  # noqa: N815  (Spotify's field names)
    afterFilteringSize: int  # noqa: N815


@dataclass(frozen=True)
class Pick:
    item_id: str
    score: float


@dataclass(frozen=True)
class Seeded:
    seeds: list[SeedReport]
    picks: list[Pick]


def genre_key(name: str) -> str:
    """Genres match whatever the case and separators: ``Indie-Rock`` is ``indie rock``."""
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


@dataclass
class CatalogIndex:
    """What seeds and tunables need to know about the model's items, by column."""

    model_version: int
    artist_columns: dict[str, Columns]
    """artist id → its columns, most popular first"""
    genre_columns: dict[str, Columns]
    """``genre_key`` → its columns, most popular first"""
    values: npt.NDArray[np.float32]
    """items × ``FEATURES``, NaN where unknown; audio columns filled by ``load_audio``"""
    norms: npt.NDArray[np.float32]
    """length of each item's factor vector (for cosines without a normalised copy of the factors)"""
    audio_loaded: npt.NDArray[np.bool_]
    """Columns whose audio features have been read; set after the values are written, so a reader
    that sees True sees the values (two requests may read the same track once each: harmless)."""

    @classmethod
    def build(cls, model: Model, store: Store, *, chunk: int = 5000) -> CatalogIndex:
        n = len(model.item_ids)
        values = np.full((n, len(FEATURES)), np.nan, dtype=np.float32)
        artists: dict[str, list[int]] = {}
        genres: dict[str, list[int]] = {}
        for start in range(0, n, chunk):
            found = store.get_tracks(model.item_ids[start : start + chunk])
            for col in range(start, min(n, start + chunk)):
                track = found.get(model.item_ids[col])
                if track is None:
                    continue
                if track.artist_id:
                    artists.setdefault(track.artist_id, []).append(col)
                for genre in track.genres:
                    genres.setdefault(genre_key(genre), []).append(col)
                if track.duration_ms is not None:
                    values[col, COLUMN["duration_ms"]] = track.duration_ms
                if track.popularity is not None:
                    values[col, COLUMN["popularity"]] = track.popularity
        norms = np.linalg.norm(model.factors.items, axis=1).astype(np.float32)
        norms[norms == 0] = 1.0
        return cls(
            model_version=model.version,
            artist_columns={a: _by_popularity(cols, model) for a, cols in artists.items()},
            genre_columns={g: _by_popularity(cols, model) for g, cols in genres.items()},
            values=values,
            norms=norms,
            audio_loaded=np.zeros(n, dtype=bool),
        )

    def load_audio(self, model: Model, store: Store, columns: Columns) -> None:
        """Read the audio features of ``columns`` not read yet (one partition-key read each)."""
        missing = columns[~self.audio_loaded[columns]]
        for col in missing.tolist():
            row = store.get_features(model.item_ids[col])
            if row is not None and "tempo" in row:
                for name in AUDIO_FEATURES:
                    value = row.get(name)
                    if isinstance(value, int | float):
                        self.values[col, COLUMN[name]] = value
                if isinstance(row.get("duration_ms"), int | float) and np.isnan(
                    self.values[col, COLUMN["duration_ms"]]
                ):
                    self.values[col, COLUMN["duration_ms"]] = row["duration_ms"]
            self.audio_loaded[col] = True


def _by_popularity(columns: list[int], model: Model) -> Columns:
    cols = np.asarray(columns, dtype=np.int64)
    return cols[np.argsort(-model.item_popularity[cols], kind="stable")]


def check_seeds_exist(model: Model, catalog: CatalogIndex, store: Store, seeds: Sequence[Seed]) -> None:
    """``NotFound`` for a seed track or artist the catalog has never heard of (a typo, most likely).

    A known track or artist the model cannot place (no plays before the last ``train``) is no error:
    its ``initialPoolSize`` is 0. Genres have no registry, so an unknown genre is a pool of 0 too.
    """
    for seed in seeds:
        if seed.kind == "track" and seed.id not in model.item_columns and store.get_track(seed.id) is None:
            msg = f"seed_tracks: no track {seed.id!r} in the catalog"
            raise NotFound(msg)
        if (
            seed.kind == "artist"
            and seed.id not in catalog.artist_columns
            and store.get_artist(seed.id) is None
        ):
            msg = f"seed_artists: no artist {seed.id!r} in the catalog"
            raise NotFound(msg)


def _seed_members(model: Model, catalog: CatalogIndex, seed: Seed, members: int) -> Columns:
    if seed.kind == "track":
        col = model.item_columns.get(seed.id)
        return np.array([] if col is None else [col], dtype=np.int64)
    found = catalog.artist_columns if seed.kind == "artist" else catalog.genre_columns
    key = seed.id if seed.kind == "artist" else genre_key(seed.id)
    return found.get(key, np.zeros(0, dtype=np.int64))[:members]


def _unit(model: Model, catalog: CatalogIndex, columns: Columns) -> npt.NDArray[np.float32]:
    rows: npt.NDArray[np.float32] = model.factors.items[columns] / catalog.norms[columns, None]
    return rows


@dataclass(frozen=True)
class SeedQuery:
    """One seed in the model's terms: its member columns, a unit vector in item-factor space, and
    the co-occurrence neighbours of its members (sorted columns, votes scaled to a best of 1)."""

    members: Columns
    vector: npt.NDArray[np.float32]
    cooc_columns: Columns
    cooc_votes: npt.NDArray[np.float32]

    @property
    def empty(self) -> bool:
        return not len(self.members)

    def cooc(self, columns: Columns) -> npt.NDArray[np.float32]:
        """The co-occurrence vote for each of ``columns`` (0 where none)."""
        if not len(self.cooc_columns):
            return np.zeros(len(columns), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.cooc_columns, columns), len(self.cooc_columns) - 1)
        hit = self.cooc_columns[at] == columns
        return np.where(hit, self.cooc_votes[at], 0.0).astype(np.float32)

    def top_cooc(self, n: int) -> Columns:
        return self.cooc_columns[np.argsort(-self.cooc_votes, kind="stable")[:n]]


def seed_query(model: Model, catalog: CatalogIndex, seed: Seed, params: SeededParams) -> SeedQuery:
    members = _seed_members(model, catalog, seed, params.members)
    vector = np.zeros(model.factors.items.shape[1], dtype=np.float32)
    if len(members):
        mean = _unit(model, catalog, members).mean(axis=0)
        length = float(np.linalg.norm(mean))
        if length > 0:
            vector = (mean / length).astype(np.float32)
    similarity = model.similarity  # CSR rows sliced directly: scipy's fancy indexing costs more
    spans = [slice(similarity.indptr[m], similarity.indptr[m + 1]) for m in members.tolist()]
    indices = np.concatenate([similarity.indices[span] for span in spans] or [np.zeros(0, np.int64)])
    data = np.concatenate([similarity.data[span] for span in spans] or [np.zeros(0, np.float32)])
    cooc_columns, inverse = np.unique(indices, return_inverse=True)
    votes = np.bincount(inverse, weights=data, minlength=len(cooc_columns)).astype(np.float32)
    votes /= max(float(votes.max(initial=0.0)), 1e-9)
    return SeedQuery(members, vector, cooc_columns.astype(np.int64), votes)


def nearest(model: Model, queries: npt.NDArray[np.float32], k: int) -> Columns:
    """``ann.nearest`` on the item index in the calling thread: a request is one of many running at
    once, and voyager's default of a thread per core for a multi-row query only adds contention."""
    k = min(k, int(model.item_index.num_elements))
    if k <= 0:
        return np.zeros((len(queries), 0), dtype=np.int64)
    labels, _ = model.item_index.query(
        np.ascontiguousarray(queries, dtype=np.float32), k=k, num_threads=1, query_ef=max(QUERY_EF, k)
    )
    return np.asarray(labels, dtype=np.int64).reshape(len(queries), k)


def _user_vector(model: Model, user_id: str) -> npt.NDArray[np.float32] | None:
    row = model.user_rows.get(user_id)
    return None if row is None else model.factors.users[row]


def _pools(
    model: Model, seeds: Sequence[Seed], queries: list[SeedQuery], params: SeededParams
) -> list[Columns]:
    """Each seed's candidates: ANN neighbours, co-occurrence neighbours, and an artist's or genre's
    own tracks; never a seed track."""
    live = [index for index, query in enumerate(queries) if not query.empty]
    pools = [np.zeros(0, dtype=np.int64) for _ in seeds]
    if live:
        labels = nearest(model, np.stack([queries[i].vector for i in live]), params.pool_size)
        for row, index in enumerate(live):
            query = queries[index]
            own = query.members if seeds[index].kind != "track" else np.zeros(0, dtype=np.int64)
            pools[index] = np.unique(np.concatenate([labels[row], query.top_cooc(params.pool_size), own]))
    return [np.setdiff1d(pool, _seed_tracks(seeds, queries)) for pool in pools]


def _seed_tracks(seeds: Sequence[Seed], queries: list[SeedQuery]) -> Columns:
    columns = [
        int(q.members[0]) for s, q in zip(seeds, queries, strict=True) if s.kind == "track" and not q.empty
    ]
    return np.array(columns, dtype=np.int64)


def recommend_seeded(
    model: Model,
    catalog: CatalogIndex,
    store: Store,
    *,
    user_id: str,
    seeds: Sequence[Seed],
    tunables: Tunables,
    limit: int,
    params: SeededParams | None = None,
) -> Seeded:
    """Up to ``limit`` tracks steered by ``seeds``, fitted to ``user_id``'s taste, within ``tunables``."""
    params = params or SeededParams()
    queries = [seed_query(model, catalog, seed, params) for seed in seeds]
    pools = _pools(model, seeds, queries, params)
    user_vector = _user_vector(model, user_id)
    own = np.zeros(0, dtype=np.int64)
    if user_vector is not None and any(len(pool) for pool in pools):
        found = nearest(model, user_vector[None, :], limit)[0]
        own = np.setdiff1d(found, _seed_tracks(seeds, queries))
    candidates = np.unique(np.concatenate([*pools, own])).astype(np.int64)
    reports = [
        SeedReport(id=seed.id, type=seed.kind.upper(), initialPoolSize=len(pool), afterFilteringSize=0)
        for seed, pool in zip(seeds, pools, strict=True)
    ]
    if not len(candidates):
        return Seeded(seeds=reports, picks=[])
    if tunables.used & set(AUDIO_FEATURES):
        catalog.load_audio(model, store, candidates)
    values = catalog.values[candidates]
    keep = tunables.mask(values)
    kept = candidates[keep]
    reports = [
        SeedReport(r.id, r.type, r.initialPoolSize, int(np.isin(pool, kept, assume_unique=True).sum()))
        for r, pool in zip(reports, pools, strict=True)
    ]
    live = [query for query in queries if not query.empty]
    scores = _scores(model, catalog, kept, live, user_vector, params)
    if tunables.target and len(kept):
        best = max(float(scores.max()), 1e-9)
        closeness = tunables.closeness(values[keep])
        scores = (1 - params.target_weight) * scores / best + params.target_weight * closeness
    order = np.argsort(-scores, kind="stable")[:limit]
    picks = [Pick(model.item_ids[int(kept[i])], float(scores[i])) for i in order]
    return Seeded(seeds=reports, picks=picks)


def _scores(
    model: Model,
    catalog: CatalogIndex,
    columns: Columns,
    queries: list[SeedQuery],
    user_vector: npt.NDArray[np.float32] | None,
    params: SeededParams,
) -> npt.NDArray[np.float32]:
    """``(1 − w) · seed + w · taste`` per column, ``seed`` the best over the seeds of
    ``(1 − c) · cosine + c · co-occurrence vote`` (see the module doc)."""
    if not len(columns) or not queries:
        return np.zeros(len(columns), dtype=np.float32)
    cosines = np.maximum(_unit(model, catalog, columns) @ np.stack([q.vector for q in queries]).T, 0.0)
    votes = np.stack([q.cooc(columns) for q in queries], axis=1)
    c = params.cooccurrence_weight
    seed: npt.NDArray[np.float32] = ((1 - c) * cosines + c * votes).max(axis=1).astype(np.float32)
    if user_vector is None:
        return seed
    taste = np.maximum(model.factors.items[columns] @ user_vector, 0.0)
    taste /= max(float(taste.max()), 1e-9)
    blended: npt.NDArray[np.float32] = (
        (1 - params.taste_weight) * seed + params.taste_weight * taste
    ).astype(np.float32)
    return blended


def parse_seeds(tracks: Iterable[str], artists: Iterable[str], genres: Iterable[str]) -> list[Seed]:
    """Seeds in Spotify's order (tracks, artists, genres), duplicates dropped."""
    seeds: list[Seed] = []
    for kind, ids in zip(SEED_KINDS, (tracks, artists, genres), strict=True):
        for seed_id in ids:
            seed = Seed(kind, seed_id)
            if seed not in seeds:
                seeds.append(seed)
    return seeds
