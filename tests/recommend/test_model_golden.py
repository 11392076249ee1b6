"""Model files format 1, pinned by a golden folder (as voyager pins its index formats): a model written
by this format version must stay loadable, with the same recommendations, by every later Tastemaker.

Regenerate only with a format bump (then keep this folder and add a v2 one):
``.venv/bin/python -m tests.recommend.test_model_golden``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tastemaker.recommend.model_files import FORMAT, load_current, write_model
from tastemaker.recommend.params import AlsParams, TrainParams
from tastemaker.recommend.training import build_model
from tests.recommend.world import genre_world

GOLDEN = Path(__file__).resolve().parent / "golden" / "models_v1"
USERS = ("u0000", "u0005", "u0011")


def test_format_1_golden_model_loads_and_recommends_as_when_written() -> None:
    model = load_current(GOLDEN)
    assert model.manifest["format"] == 1 and model.version == 1
    expected = json.loads((GOLDEN / "expected.json").read_text())
    for user in USERS:
        got = model.recommend(user, 5)
        assert [r.item_id for r in got] == [item for item, _score in expected[user]]
        assert [r.score for r in got] == pytest.approx([score for _item, score in expected[user]], abs=1e-4)
    assert model.item_index.num_elements == len(model.item_ids)


def write_golden() -> None:
    assert FORMAT == 1, "a new format gets its own golden folder; keep this one"
    world, _genres = genre_world(users=12, genres=3, items_per_genre=6, per_user=4)
    model = build_model(world, TrainParams(als=AlsParams(factors=4, iterations=5), baskets="user"))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    write_model(GOLDEN, model)
    manifest = json.loads((GOLDEN / "v000001" / "manifest.json").read_text())
    manifest["created_at"] = "2026-01-01T00:00:00+00:00"  # stable bytes across regenerations
    (GOLDEN / "v000001" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    loaded = load_current(GOLDEN)
    expected = {user: [[r.item_id, round(r.score, 5)] for r in loaded.recommend(user, 5)] for user in USERS}
    (GOLDEN / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


if __name__ == "__main__":
    write_golden()
