"""Forget a listener everywhere: account, event log, archive, store, model files, caches.

Order, and why (a crash at any point is finished by running the forget again, see ``Journal``):

1. **Journal.** ``{data_dir}/privacy/forgetting/<hash>.json`` names the user until the forget is
   done, so an interrupted one is found and finished (by the next forget of anyone, or a re-run).
2. **Account** (``Store.delete_user``): the user's token, Last.fm sessions and scrobble password
   stop working first, so their own clients cannot send new events while the rest is deleted.
3. **Event log** (``EventLog.forget_user``): the source every other copy is derived from goes
   before anything derived, so nothing that a later step deletes can be re-created from it.
4. **Settle**: wait (bounded) until every consumer group has committed past the log's end as it
   was after step 3, so a batch the archiver or profiler read *before* the delete has landed
   before we delete what it wrote.
5. **Archive** (``Archive.forget_user``): Parquet rows, rewritten bucket by bucket.
6. **Store** (``Store.forget_user``): listens, profile, playlists, recaps (and the account again).
7. **Model files**: a new current version without the user's row; older versions naming them go.
8. **Caches** of this process: the profiler's profile cache and whatever the caller passes (the
   API passes the DJ sessions and the demo listener list).
9. The journal entry is removed.

Every step deletes by key and is idempotent, so a re-run after a crash redoes the finished steps
as no-ops. Steps 3 and 5 are not undone by anything automatic: consumers only read the log
forwards, and the archive is re-read only by batch jobs. What forgetting does not reach — Kafka
records before the topic's retention, item-level model data until the next ``train``, a profile
cached by a server in another process — is listed in docs/privacy.md.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from tastemaker.events.log import partition_for
from tastemaker.privacy.models import forget_in_models
from tastemaker.recommend.model_files import models_dir

if TYPE_CHECKING:
    from tastemaker.platform import Platform

SETTLE_S = 5.0
"""How long step 4 waits at most for consumers to commit past the deleted events."""

CacheForget = Callable[[str], int]
"""Drops a user from one in-memory cache; returns how many entries went."""


@dataclass
class ForgetReport:
    """What one forget removed, per place, and what it could not do."""

    user_id: str
    removed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether anything at all was held about the user."""
        return any(self.removed.values())

    def as_dict(self) -> dict[str, object]:
        return {"user_id": self.user_id, "removed": dict(self.removed), "notes": list(self.notes)}


class Journal:
    """Forgets in progress, one small file each, so a crash half-way is finished later."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "privacy" / "forgetting"

    def path(self, user_id: str) -> Path:
        return self.folder / (hashlib.sha256(user_id.encode()).hexdigest()[:32] + ".json")

    def begin(self, user_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(user_id)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        data = msgspec.json.encode({"user_id": user_id, "started_at": datetime.now(UTC).isoformat()})
        with temporary.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        temporary.replace(path)

    def end(self, user_id: str) -> None:
        self.path(user_id).unlink(missing_ok=True)

    def pending(self) -> list[str]:
        """Users whose forget began and did not finish."""
        if not self.folder.is_dir():
            return []
        users = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                users.append(str(msgspec.json.decode(path.read_bytes())["user_id"]))
            except (OSError, msgspec.DecodeError, KeyError):
                continue
        return users


def forget(
    platform: Platform,
    user_id: str,
    *,
    caches: Sequence[CacheForget] = (),
    settle_s: float = SETTLE_S,
    resume: bool = True,
) -> ForgetReport:
    """Forget ``user_id`` everywhere this platform keeps data; see the module docstring for the order.

    With ``resume`` (the default) forgets that an earlier crash left unfinished are finished first.
    """
    journal = Journal(platform.config.data_dir)
    if resume:
        for pending in journal.pending():
            if pending != user_id:
                forget(platform, pending, caches=caches, settle_s=settle_s, resume=False)
    report = ForgetReport(user_id)
    removed = report.removed
    journal.begin(user_id)
    removed["account"] = int(platform.store.delete_user(user_id))
    log = platform.event_log
    removed["log_events"] = log.forget_user(user_id)
    if not getattr(log, "deletes_records", True):
        report.notes.append(
            "the Kafka topic keeps the user's raw events until its retention (retention.ms) removes "
            "them; consumers are past them and do not read them again"
        )
    if not _settle(platform, user_id, settle_s):
        report.notes.append(
            f"consumers had not committed past the deleted events within {settle_s:g} s; "
            "if one was still writing, run the forget again"
        )
    removed["archive_rows"] = platform.archive.forget_user(user_id)
    counts = platform.store.forget_user(user_id)
    removed["account"] = max(removed["account"], counts.pop("users", 0))
    removed.update(counts)
    model = forget_in_models(models_dir(platform.config.data_dir), user_id)
    removed["model_versions_rewritten"] = model["rewritten"]
    removed["model_versions_deleted"] = model["versions_deleted"]
    removed["cached_profiles"] = _forget_profiler_cache(platform, user_id)
    for cache in caches:
        removed["cached_other"] = removed.get("cached_other", 0) + cache(user_id)
    journal.end(user_id)
    return report


def _settle(platform: Platform, user_id: str, timeout_s: float) -> bool:
    """Wait until every consumer group has committed the user's partition up to its current end."""
    log = platform.event_log
    partition = partition_for(user_id, log.partitions)
    end = log.end_offsets().get(partition, 0)
    groups = [g for g in platform.consumer_factories() if g in log.groups()]
    deadline = time.monotonic() + timeout_s
    while True:
        behind = [g for g in groups if log.committed(g).get(partition, 0) < end]
        if not behind:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _forget_profiler_cache(platform: Platform, user_id: str) -> int:
    from tastemaker.profiles.profiler import Profiler

    runner = platform.runners.get("profiler")
    consumer = runner.consumer if runner is not None else None
    return consumer.forget(user_id) if isinstance(consumer, Profiler) else 0
