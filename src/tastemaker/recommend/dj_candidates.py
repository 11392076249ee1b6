"""The DJ's candidates: a taste vector per listener, steered by the session, and two pools.

- **Taste vector.** The user's ALS factors; when they have listened since the model was trained
  (or are new to it), their trained history plus those listens folded in (``als.fold_in``). None
  for a listener with no usable history (the cold start).
- **Steering.** Each like in the session adds ``steer · |taste| · v̂`` (``v̂``: the liked track's
  unit item vector), each skip subtracts it: the stream turns away from the skipped track's
  neighbourhood and towards a liked one's. A cold listener's first like gives them a vector.
- **Pools.** *Familiar*: the user's positive history, best-fitting the steering vector first.
  *Discovery*: the nearest items to the steering vector in the ANN index (inner product), never in
  the history. Without a vector both come from popularity (kind ``popular``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from tastemaker.events.schema import FULL_LISTEN_MS
from tastemaker.recommend.als import fold_in
from tastemaker.recommend.ann import nearest
from tastemaker.recommend.dj_session import Session
from tastemaker.recommend.interactions import SKIP_WEIGHT
from tastemaker.recommend.model import Model
from tastemaker.storage.models import Listen

Vector = npt.NDArray[np.float32]
MAX_ANN_K = 2000


@dataclass(frozen=True)
class Pools:
    familiar: list[tuple[str, float]]
    """(track id, relevance 0–1), best first."""
    discovery: list[tuple[str, float]]
    kind_of_discovery: str = "discovery"


def trained_at(model: Model) -> datetime | None:
    value = model.manifest.get("created_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def evidence(model: Model, user_id: str, recent: Sequence[Listen]) -> tuple[dict[int, float], bool]:
    """Net evidence per item column: the trained history plus listens newer than the model;
    and whether any such newer listen was found."""
    found: dict[int, float] = {}
    row = model.user_rows.get(user_id)
    if row is not None:
        history = model.history[row]
        found = {int(c): float(v) for c, v in zip(history.indices, history.data, strict=True)}
    since = trained_at(model)
    newer = False
    for listen in recent:
        column = model.item_columns.get(listen.track_id)
        if column is None or (since is not None and listen.ts <= since):
            continue
        weight = -SKIP_WEIGHT if listen.kind == "skip" else min(1.0, listen.ms_played / FULL_LISTEN_MS) or 1.0
        found[column] = found.get(column, 0.0) + weight
        newer = True
    return found, newer


def taste_vector(model: Model, user_id: str, found: dict[int, float], newer: bool) -> Vector | None:
    row = model.user_rows.get(user_id)
    if row is not None and not newer:
        vector: Vector = model.factors.users[row]
        return vector
    pairs = [(c, v) for c, v in found.items() if v != 0]
    if not any(v > 0 for _, v in pairs):
        return None
    columns = np.array([c for c, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float32)
    conf = (np.sign(values) * (1.0 + model.confidence_alpha * np.log1p(np.abs(values)))).astype(np.float32)
    return fold_in(model.factors, columns, conf)


def unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    result: Vector = vector / norm if norm > 0 else vector
    return result


def steering(model: Model, session: Session, base: Vector | None, *, steer: float) -> Vector | None:
    """The taste vector moved towards the session's likes and away from its skips."""
    if base is None and not session.liked:
        return None
    dims = model.factors.items.shape[1]
    vector = np.zeros(dims, dtype=np.float32) if base is None else base.astype(np.float32, copy=True)
    scale = float(np.linalg.norm(vector)) or 1.0
    for track_id, sign in [(t, 1.0) for t in session.liked] + [(t, -1.0) for t in session.skipped]:
        column = model.item_columns.get(track_id)
        if column is not None:
            vector += sign * steer * scale * unit(model.factors.items[column])
    return vector if float(np.linalg.norm(vector)) > 0 else None


def _ranked(ids: list[str]) -> list[tuple[str, float]]:
    """Relevance by rank: 1 for the best, falling linearly towards 0."""
    return [(item, 1.0 - rank / max(1, len(ids))) for rank, item in enumerate(ids)]


def pools(
    model: Model, found: dict[int, float], vector: Vector | None, excluded: set[str], *, size: int
) -> Pools:
    """Up to ``size`` familiar and ``size`` discovery candidates, none in ``excluded``."""
    if vector is None:
        popular = [r.item_id for r in model.popular(size * 2 + len(excluded)) if r.item_id not in excluded]
        ranked = _ranked(popular[: size * 2])
        return Pools(familiar=ranked[0::2], discovery=ranked[1::2], kind_of_discovery="popular")
    liked = np.array(
        [c for c, v in found.items() if v > 0 and model.item_ids[c] not in excluded], dtype=np.int64
    )
    order = np.argsort(-(model.factors.items[liked] @ vector), kind="stable") if len(liked) else liked
    familiar = [model.item_ids[int(c)] for c in liked[order][:size]]
    k = min(MAX_ANN_K, size + len(found) + len(excluded))
    labels, _ = nearest(model.item_index, vector[None, :], k)
    discovery = []
    for label in labels[0]:
        item = model.item_ids[int(label)]
        if int(label) not in found and item not in excluded:
            discovery.append(item)
            if len(discovery) == size:
                break
    if not discovery:  # the index has run dry for this session: popular tracks keep the stream going
        discovery = [
            r.item_id
            for r in model.popular(size + len(found) + len(excluded))
            if r.item_id not in excluded and model.item_columns[r.item_id] not in found
        ][:size]
    return Pools(familiar=_ranked(familiar), discovery=_ranked(discovery))
