"""The hyper-parameters of every model part, in one light module (no NumPy, SciPy or implicit), so
that the CLI can show defaults without paying for those imports on every command.

The defaults come from ``benchmarks/recommend_quality.py``: a grid search on a validation split carved
from the training part of Last.fm 2K, checked on the simulated world's temporal split (numbers in
docs/recommendations.md). Where the two disagree the default is the one that holds up on both:
- regularisation 20, not the 50 Last.fm prefers (validation NDCG@10 0.176 against 0.186 there), because
  50 loses 16 % of recall@30 on the simulated world (0.224 against 0.267);
- 64 factors, not the 128 Last.fm prefers (0.186 against 0.192), because factors cost memory and time
  linearly to quadratically on a million-track catalog.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

BASKETS = ("session", "user")


@dataclass(frozen=True, slots=True)
class AlsParams:
    factors: int = 64
    regularization: float = 20.0
    alpha: float = 2.0
    """Applied by ``interactions.confidence`` (1 + alpha · log1p(evidence)), not by implicit."""
    iterations: int = 15
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CooccurrenceParams:
    neighbours: int = 100
    k1: float = 100.0
    b: float = 0.8

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BlendParams:
    cooccurrence_weight: float = 0.1
    popularity_beta: float = 0.0
    """0 on Last.fm 2K: every discount tried lowered NDCG (it buys novelty with accuracy)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainParams:
    als: AlsParams = field(default_factory=AlsParams)
    cooccurrence: CooccurrenceParams = field(default_factory=CooccurrenceParams)
    blend: BlendParams = field(default_factory=BlendParams)
    baskets: str = "session"
    """Co-occurrence within listening sessions, or within a user's whole history."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "als": self.als.as_dict(),
            "cooccurrence": self.cooccurrence.as_dict(),
            "blend": self.blend.as_dict(),
            "baskets": self.baskets,
        }
