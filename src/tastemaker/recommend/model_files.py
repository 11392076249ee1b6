"""Versioned model files under ``{data_dir}/models/``, written atomically, loaded without a restart.

Layout (format 1)::

    models/
      CURRENT           the current version number, e.g. "7"
      v000007/          one folder per version, never changed once it has its name
        manifest.json   format, version, created_at, counts, parameters, file sizes
        ids.json        {"users": [...], "items": [...]}  (row / column order of every array)
        arrays.npz      user_factors, item_factors, item_popularity
        history.npz     users × items net evidence (CSR parts)
        similarity.npz  items × items co-occurrence (CSR parts)
        items.voyager   ANN index over item factors
        audio.voyager   ANN index over audio vectors (only when the catalog has them)

Why a reader never sees half a model: a version is written into a hidden temporary folder, each file
flushed to disk, the manifest last; then the folder is renamed to ``vNNNNNN`` (atomic on POSIX, and it
fails rather than overwrite if another ``train`` took that number first), and only then is
``CURRENT`` replaced (temp file + ``os.replace``). A reader goes through ``CURRENT``, so it sees the
old version or the new one, whole. Old versions beyond ``keep`` are deleted afterwards; files a
reader already opened stay readable on POSIX, and a reader that finds its version gone re-reads
``CURRENT``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import scipy.sparse as sp
import voyager

from tastemaker.errors import NotFound, TastemakerError
from tastemaker.recommend.als import Factors
from tastemaker.recommend.model import Model
from tastemaker.recommend.params import BlendParams

FORMAT = 1
CURRENT = "CURRENT"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_S = 3600.0  # a temporary folder this old belongs to a train that died
DEFAULT_KEEP = 3


class ModelFileError(TastemakerError):
    """A model folder is missing a file, is truncated, or has a format this version cannot read."""


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def version_dir(root: Path, version: int) -> Path:
    return root / f"v{version:06d}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as file:
        os.fsync(file.fileno())


def versions(root: Path) -> list[int]:
    """Complete versions on disk, oldest first."""
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        if path.name.startswith("v") and path.name[1:].isdigit() and (path / "manifest.json").is_file():
            found.append(int(path.name[1:]))
    return sorted(found)


def current_version(root: Path) -> int | None:
    """The version ``CURRENT`` names, or None before the first ``train``."""
    try:
        text = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    if not text.isdigit():
        msg = f"{root / CURRENT}: expected a version number, found {text[:40]!r}; run tastemaker train again"
        raise ModelFileError(msg)
    return int(text)


# -- writing ---------------------------------------------------------------------------------------


def _save_csr(path: Path, matrix: sp.csr_matrix) -> None:
    with path.open("wb") as file:
        np.savez(
            file,
            data=matrix.data.astype(np.float32),
            indices=matrix.indices.astype(np.int32),
            indptr=matrix.indptr.astype(np.int64),
            shape=np.asarray(matrix.shape, dtype=np.int64),
        )


def _write_files(folder: Path, model: Model) -> None:
    (folder / "ids.json").write_bytes(msgspec.json.encode({"users": model.user_ids, "items": model.item_ids}))
    with (folder / "arrays.npz").open("wb") as file:
        np.savez(
            file,
            user_factors=model.factors.users,
            item_factors=model.factors.items,
            item_popularity=model.item_popularity,
        )
    _save_csr(folder / "history.npz", model.history)
    _save_csr(folder / "similarity.npz", model.similarity)
    model.item_index.save(str(folder / "items.voyager"))
    if model.audio_index is not None:
        model.audio_index.save(str(folder / "audio.voyager"))


def _manifest(folder: Path, model: Model, extra: Mapping[str, Any]) -> dict[str, Any]:
    files = {path.name: path.stat().st_size for path in sorted(folder.iterdir())}
    return {
        "format": FORMAT,
        "version": 0,  # set once the version number is claimed
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {
            "users": len(model.user_ids),
            "items": len(model.item_ids),
            "history_pairs": int(model.history.nnz),
            "similarity_pairs": int(model.similarity.nnz),
            "factors": int(model.factors.items.shape[1]),
            "audio_vectors": int(model.audio_index.num_elements) if model.audio_index is not None else 0,
        },
        "parameters": {
            "blend": model.blend.as_dict(),
            "confidence_alpha": model.confidence_alpha,
            "regularization": model.factors.regularization,
        },
        "files": files,
        **extra,
    }


def _write_json_atomically(path: Path, data: Any) -> None:
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{threading.get_ident()}")
    temp.write_bytes(msgspec.json.format(msgspec.json.encode(data)) + b"\n")
    _fsync_file(temp)
    temp.replace(path)


def write_model(
    root: Path, model: Model, *, extra: Mapping[str, Any] | None = None, keep: int = DEFAULT_KEEP
) -> int:
    """Write ``model`` as the next version, make it current, prune old versions; return its number.

    ``extra`` is merged into the manifest (e.g. ``{"parameters_train": ..., "timings_s": ...}``).
    """
    root.mkdir(parents=True, exist_ok=True)
    temp = root / f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
    temp.mkdir()
    try:
        _write_files(temp, model)
        manifest = _manifest(temp, model, extra or {})
        for path in temp.iterdir():
            _fsync_file(path)
        version = _claim(root, temp, manifest)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _write_json_atomically(root / CURRENT, version)  # JSON of an int is the bare number
    _fsync_dir(root)
    prune(root, keep=keep)
    return version


def _claim(root: Path, temp: Path, manifest: dict[str, Any]) -> int:
    """Rename the finished folder to the next free version number (another train may race us)."""
    for _attempt in range(100):
        existing = versions(root)
        version = max([*existing, current_version(root) or 0], default=0) + 1
        manifest["version"] = version
        (temp / "manifest.json").write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
        _fsync_file(temp / "manifest.json")
        _fsync_dir(temp)
        try:
            temp.rename(version_dir(root, version))
        except OSError:
            if version_dir(root, version).exists():
                continue  # taken between our listing and our rename: try the next number
            raise
        return version
    msg = f"{root}: could not claim a version number after 100 tries; is another train looping?"
    raise ModelFileError(msg)


def prune(root: Path, *, keep: int) -> list[int]:
    """Delete all but the newest ``keep`` versions (never the current one) and stale temp folders."""
    if keep < 1:
        msg = f"keep = {keep}: at least the current version must be kept"
        raise ValueError(msg)
    current = current_version(root)
    removed = []
    for version in versions(root)[:-keep]:
        if version != current:
            shutil.rmtree(version_dir(root, version), ignore_errors=True)
            removed.append(version)
    now = time.time()
    for path in root.glob(f"{TEMP_PREFIX}*"):
        try:
            stale = now - path.stat().st_mtime > STALE_TEMP_S
        except FileNotFoundError:
            continue
        if stale:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return removed


# -- reading ---------------------------------------------------------------------------------------


def _load_csr(path: Path) -> sp.csr_matrix:
    with np.load(path, allow_pickle=False) as parts:
        shape = tuple(int(x) for x in parts["shape"])
        return sp.csr_matrix((parts["data"], parts["indices"], parts["indptr"]), shape=shape)


def _check(folder: Path, manifest: dict[str, Any]) -> None:
    if manifest.get("format") != FORMAT:
        msg = (
            f"{folder}: model format {manifest.get('format')!r}, this Tastemaker reads format {FORMAT}; "
            "run tastemaker train to write a current one"
        )
        raise ModelFileError(msg)
    for name, size in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            msg = f"{path}: missing or not {size} bytes as the manifest says; run tastemaker train again"
            raise ModelFileError(msg)


def load_version(root: Path, version: int) -> Model:
    folder = version_dir(root, version)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        msg = f"{folder}: no such model version; versions on disk: {versions(root) or 'none'}"
        raise NotFound(msg)
    manifest: dict[str, Any] = msgspec.json.decode(manifest_path.read_bytes())
    _check(folder, manifest)
    ids = msgspec.json.decode((folder / "ids.json").read_bytes(), type=dict[str, list[str]])
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
        user_factors, item_factors = arrays["user_factors"], arrays["item_factors"]
        item_popularity = arrays["item_popularity"]
    parameters = manifest["parameters"]
    audio = folder / "audio.voyager"
    return Model(
        user_ids=ids["users"],
        item_ids=ids["items"],
        factors=Factors(users=user_factors, items=item_factors, regularization=parameters["regularization"]),
        history=_load_csr(folder / "history.npz"),
        similarity=_load_csr(folder / "similarity.npz"),
        item_popularity=item_popularity,
        blend=msgspec.convert(parameters["blend"], BlendParams),
        confidence_alpha=float(parameters["confidence_alpha"]),
        item_index=voyager.Index.load(str(folder / "items.voyager")),
        audio_index=voyager.Index.load(str(audio)) if audio.is_file() else None,
        manifest=manifest,
    )


def load_current(root: Path, *, attempts: int = 3) -> Model:
    """The current model; re-reads ``CURRENT`` if its version is pruned while being opened."""
    for _attempt in range(attempts - 1):
        try:
            return load_version(root, _current_or_raise(root))
        except (FileNotFoundError, NotFound):
            continue  # pruned under us: CURRENT names a newer version by now
    return load_version(root, _current_or_raise(root))


def _current_or_raise(root: Path) -> int:
    version = current_version(root)
    if version is None:
        msg = f"no model in {root} yet: run tastemaker train first"
        raise NotFound(msg)
    return version


class LiveModel:
    """The newest model, picked up without a restart: ``get()`` looks at ``CURRENT`` at most every
    ``check_interval_s`` and loads a newer version when there is one.

    Loading happens in the calling thread, one thread at a time; other threads keep getting the model
    they had meanwhile, so a server never waits for a reload. Only the first load is waited for: with
    no model yet, a thread that finds another one loading waits for it rather than answer "not trained"
    (a web page's first requests come together). A version that fails to load is logged by the caller
    (the exception propagates) and the old model stays in use.
    """

    def __init__(self, root: Path, *, check_interval_s: float = 5.0) -> None:
        self.root = root
        self.check_interval_s = check_interval_s
        self._model: Model | None = None
        self._checked_at = float("-inf")
        self._seen: tuple[int, int, int] | None = None  # CURRENT's (inode, mtime_ns, size) when last read
        self._lock = threading.Lock()

    def get(self) -> Model | None:
        """The model to use now (None until the first ``train``)."""
        first = self._model is None
        due = first or time.monotonic() - self._checked_at >= self.check_interval_s
        if due and self._lock.acquire(blocking=first):
            try:
                # a thread that waited finds the model another one loaded meanwhile
                if self._model is None or time.monotonic() - self._checked_at >= self.check_interval_s:
                    self._refresh()
            finally:
                self._lock.release()
        return self._model

    def _refresh(self) -> None:
        self._checked_at = time.monotonic()
        try:
            stat = (self.root / CURRENT).stat()
        except FileNotFoundError:
            return
        # Every write replaces CURRENT by a new file, so the inode changes even within one mtime tick.
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp == self._seen and self._model is not None:
            return  # CURRENT untouched since we last read it
        version = current_version(self.root)
        if version is not None and (self._model is None or self._model.version != version):
            self._model = load_current(self.root)
        self._seen = stamp
