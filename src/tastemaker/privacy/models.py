"""Forgetting a listener in the trained model files (``{data_dir}/models/``).

A model version is never changed once it has its name (recommend/model_files.py), so the user's
row is dropped by writing a *new* version — the current one without the user's factors, ids and
history row — and then every other version that still names the user is deleted. Readers follow
``CURRENT``, so the server switches to the new version within its check interval.

What stays: item factors, item-item co-occurrence and popularity were fitted on everybody's
history, the user's included; they hold no user id and no per-user row, and the next ``tastemaker
train`` fits them without the user (docs/privacy.md, "at the next train").
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import msgspec
import numpy as np

from tastemaker.recommend.als import Factors
from tastemaker.recommend.model import Model
from tastemaker.recommend.model_files import (
    current_version,
    load_version,
    version_dir,
    versions,
    write_model,
)

_MANIFEST_OWN = frozenset({"format", "version", "created_at", "counts", "parameters", "files"})


def _names_user(root: Path, version: int, user_id: str) -> bool:
    data = (version_dir(root, version) / "ids.json").read_bytes()
    ids = msgspec.json.decode(data, type=dict[str, list[str]])
    return user_id in ids.get("users", [])


def without_user(model: Model, user_id: str) -> Model:
    """``model`` with the user's row of factors, id and history dropped (item data unchanged)."""
    row = model.user_ids.index(user_id)
    keep = np.ones(len(model.user_ids), dtype=bool)
    keep[row] = False
    return dataclasses.replace(
        model,
        user_ids=[u for u in model.user_ids if u != user_id],
        factors=Factors(
            users=np.ascontiguousarray(model.factors.users[keep]),
            items=model.factors.items,
            regularization=model.factors.regularization,
        ),
        history=model.history[keep].tocsr(),
    )


def forget_in_models(root: Path, user_id: str) -> dict[str, int]:
    """Drop ``user_id`` from the model files under ``root``; returns what was done.

    ``rewritten``: 1 when a new current version without the user was written; ``versions_deleted``:
    older versions that named the user. Idempotent: once no version names the user it does nothing.
    """
    done = {"rewritten": 0, "versions_deleted": 0}
    current = current_version(root)
    if current is not None and current in versions(root) and _names_user(root, current, user_id):
        model = load_version(root, current)
        extra = {k: v for k, v in model.manifest.items() if k not in _MANIFEST_OWN}
        extra["rewritten_from"] = current
        extra["forgotten_users"] = int(model.manifest.get("forgotten_users", 0)) + 1
        current = write_model(root, without_user(model, user_id), extra=extra)
        done["rewritten"] = 1
    for version in versions(root):
        if version != current and _names_user(root, version, user_id):
            shutil.rmtree(version_dir(root, version), ignore_errors=True)
            done["versions_deleted"] += 1
    return done
