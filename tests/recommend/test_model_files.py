"""Model files: written atomically as numbered versions, reloaded whole, picked up without a restart."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import msgspec
import numpy as np
import pytest

from tastemaker.errors import NotFound
from tastemaker.recommend.model import Model
from tastemaker.recommend.model_files import (
    CURRENT,
    LiveModel,
    ModelFileError,
    current_version,
    load_current,
    load_version,
    version_dir,
    versions,
    write_model,
)
from tastemaker.recommend.params import AlsParams, TrainParams
from tastemaker.recommend.training import build_model
from tests.recommend.world import genre_world


@pytest.fixture(scope="module")
def model() -> Model:
    world, _genres = genre_world(users=60, items_per_genre=20)
    return build_model(world, TrainParams(als=AlsParams(factors=8, iterations=5), baskets="user"))


def _marked(model: Model, mark: float) -> Model:
    """The same model with every popularity set to ``mark``, to tell versions apart."""
    return replace(model, item_popularity=np.full_like(model.item_popularity, mark))


def test_write_then_load_gives_the_same_model(tmp_path: Path, model: Model) -> None:
    version = write_model(tmp_path, model, extra={"train": {"note": "test"}})
    assert version == 1 and current_version(tmp_path) == 1
    loaded = load_current(tmp_path)
    assert loaded.version == 1 and loaded.manifest["train"] == {"note": "test"}
    assert loaded.manifest["counts"]["users"] == 60 and loaded.manifest["format"] == 1
    assert loaded.user_ids == model.user_ids and loaded.item_ids == model.item_ids
    assert np.array_equal(loaded.factors.items, model.factors.items)
    assert (loaded.history != model.history).nnz == 0 and (loaded.similarity != model.similarity).nnz == 0
    assert loaded.blend == model.blend and loaded.item_index.num_elements == model.item_index.num_elements
    user = model.user_ids[3]
    assert loaded.recommend(user, 5) == model.recommend(user, 5)


def test_versions_are_numbered_and_only_the_newest_are_kept(tmp_path: Path, model: Model) -> None:
    written = [write_model(tmp_path, _marked(model, i), keep=2) for i in range(4)]
    assert written == [1, 2, 3, 4] and versions(tmp_path) == [3, 4]
    assert (tmp_path / CURRENT).read_text().strip() == "4"
    assert float(load_version(tmp_path, 3).item_popularity[0]) == 2.0
    with pytest.raises(NotFound, match="versions on disk: \\[3, 4\\]"):
        load_version(tmp_path, 1)


def test_a_failed_write_leaves_the_current_version_alone(tmp_path: Path, model: Model) -> None:
    write_model(tmp_path, model)
    broken = replace(model, item_index=None)  # type: ignore[arg-type]  # fails half-way through writing
    with pytest.raises(AttributeError):
        write_model(tmp_path, broken)
    assert current_version(tmp_path) == 1 and versions(tmp_path) == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [CURRENT, "v000001"]  # no temp folder left


def test_a_reader_never_sees_a_half_written_model(tmp_path: Path, model: Model) -> None:
    """One thread writes versions as fast as it can while another loads the current one in a loop:
    every load succeeds and holds exactly what its manifest's version was written with."""
    write_model(tmp_path, _marked(model, 1.0), keep=2)
    done = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for mark in range(2, 12):
                write_model(tmp_path, _marked(model, float(mark)), keep=2)
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    loads = 0
    while not done.is_set() or loads == 0:
        loaded = load_current(tmp_path)
        assert np.all(loaded.item_popularity == float(loaded.version))
        assert loaded.similarity.shape == (len(loaded.item_ids), len(loaded.item_ids))
        loads += 1
    thread.join()
    assert not failures and loads > 0 and current_version(tmp_path) == 11


def test_live_model_picks_up_a_new_version_without_a_restart(tmp_path: Path, model: Model) -> None:
    live = LiveModel(tmp_path, check_interval_s=0.0)
    assert live.get() is None  # nothing trained yet
    write_model(tmp_path, _marked(model, 1.0))
    first = live.get()
    assert first is not None and first.version == 1
    assert live.get() is first  # unchanged CURRENT: no reload
    write_model(tmp_path, _marked(model, 2.0))
    second = live.get()
    assert second is not None and second.version == 2 and float(second.item_popularity[0]) == 2.0
    slow = LiveModel(tmp_path, check_interval_s=3600.0)
    assert slow.get() is not None
    write_model(tmp_path, model)
    held = slow.get()
    assert held is not None and held.version == 2  # checks at most once per interval


def test_threads_asking_together_for_the_first_model_all_get_it(tmp_path: Path, model: Model) -> None:
    """The first requests after a start come together (a web page's sections): none may hear
    "not trained" just because another thread is still loading the model."""
    write_model(tmp_path, model)
    live = LiveModel(tmp_path, check_interval_s=3600.0)
    barrier = threading.Barrier(4)
    got: list[Model | None] = []

    def ask() -> None:
        barrier.wait()
        got.append(live.get())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 4 and all(found is not None and found.version == 1 for found in got)


def test_unreadable_versions_say_what_to_do(tmp_path: Path, model: Model) -> None:
    with pytest.raises(NotFound, match="run tastemaker train first"):
        load_current(tmp_path)
    write_model(tmp_path, model)
    folder = version_dir(tmp_path, 1)
    manifest = msgspec.json.decode((folder / "manifest.json").read_bytes())
    (folder / "manifest.json").write_bytes(msgspec.json.encode({**manifest, "format": 99}))
    with pytest.raises(ModelFileError, match="format 99"):
        load_current(tmp_path)
    (folder / "manifest.json").write_bytes(msgspec.json.encode(manifest))
    with (folder / "arrays.npz").open("r+b") as file:
        file.truncate(100)
    with pytest.raises(ModelFileError, match=r"arrays\.npz: missing or not"):
        load_current(tmp_path)
