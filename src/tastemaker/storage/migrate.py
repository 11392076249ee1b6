"""Dark-loading migration between Stores, the way Spotify moved from PostgreSQL to Cassandra.

While the old store stays primary, every write is *mirrored* to the new one, and a sample of reads is
*shadowed* (read from both, compared, mismatches counted in ``/metrics``); a backfill copies the
history written before mirroring began; ``verify`` checks parity table by table (and repairs); then
the cutover moves reads to the new store, then writes, and a rollback moves them back. No request
ever waits on the store it is not served from, and a failure of the secondary only counts.

The phases, kept in a small JSON state file every process re-reads about once a second, so a running
server follows ``migrate cutover`` without a restart:

============  =============  ===========================  ==========================
phase         reads from     writes                       rollback goes to
============  =============  ===========================  ==========================
mirroring     old            old, then new (mirror)       (``migrate abort``)
reads_new     new            old, then new (mirror)       mirroring
writes_new    new            new, then old (mirror)       mirroring
done          new            new only                     — (old is stale)
============  =============  ===========================  ==========================

Writes to one key come from one writer (the consumer owning the user's partition, the catalog
consumer, the CLI), and the mirror applies them in the same order on both sides, so once a row is
equal on both it stays equal. What can diverge is a row the backfill copies while the mirror writes
it (the copy may land last with the older value): ``verify --repair`` copies such rows again.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec

from tastemaker.errors import ConfigError
from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User
from tastemaker.storage.rows import TABLES, Exportable, differing_rows, write_rows
from tastemaker.storage.store import Store

log = logging.getLogger(__name__)

PHASES = ("mirroring", "reads_new", "writes_new", "done")
ROLLBACK = {"reads_new": "mirroring", "writes_new": "mirroring"}
REFRESH_S = 1.0
RECHECK_DELAYS_S = (0.02, 0.05, 0.1, 0.2, 0.4)
RECHECK_QUEUE = 1000


class MigrationState(msgspec.Struct, kw_only=True):
    source_url: str
    target_url: str
    phase: str = "mirroring"
    started_at: datetime
    shadow_rate: float = 0.1
    cursors: dict[str, str | None] = {}
    """Backfill checkpoint per table: the cursor to resume from; a table that is done maps to None."""
    done_tables: list[str] = []
    history: list[tuple[datetime, str]] = []


class StateFile:
    """The migration's state, written atomically; absent when no migration is in progress."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> MigrationState | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return msgspec.json.decode(data, type=MigrationState)
        except msgspec.DecodeError as exc:
            msg = f"migration state {self.path} is unreadable ({exc}); fix or remove it"
            raise ConfigError(msg) from exc

    def save(self, state: MigrationState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_bytes(msgspec.json.format(msgspec.json.encode(state), indent=2))
        partial.replace(self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except FileNotFoundError:
            return None


class MirroredStore:
    """A Store that follows the migration state file: the configured store alone when there is no
    migration, else serving from one of two stores and mirroring writes to the other.

    Every process opens its store through this, so one started before ``migrate start`` begins
    mirroring within a second too; the new store is opened the first time the state names it.
    """

    def __init__(
        self,
        old: Store,
        state_file: StateFile,
        open_store: Callable[[str], Store],
        *,
        seed: int | None = None,
    ) -> None:
        self.old = old
        self.new: Store | None = None
        self.new_url: str | None = None
        self.state_file = state_file
        self.open_store = open_store
        self.counters: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._checked = 0.0
        self._rechecks: queue.Queue[tuple[str, tuple[Any, ...], Store, Store]] | None = None
        self._mtime: float | None = None
        self.phase = "mirroring"
        self.shadow_rate = 0.1
        self._refresh(force=True)

    # --- phase -----------------------------------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_S:
            return
        self._checked = now
        mtime = self.state_file.mtime()
        if mtime == self._mtime and not force:
            return
        self._mtime = mtime
        state = self.state_file.load()
        if state is None:
            self.phase = "none"  # no migration (or aborted/finished): the configured store alone
            return
        if self.new is None or self.new_url != state.target_url:
            if self.new is not None:
                self.new.close()
            self.new, self.new_url = self.open_store(state.target_url), state.target_url
        self.phase, self.shadow_rate = state.phase, state.shadow_rate

    def _stores(self) -> tuple[Store, Store | None, Store]:
        """(write first, write second or None, read from)."""
        self._refresh()
        new = self.new
        if new is None or self.phase not in PHASES:
            return self.old, None, self.old
        if self.phase == "mirroring":
            return self.old, new, self.old
        if self.phase == "reads_new":
            return self.old, new, new
        if self.phase == "writes_new":
            return new, self.old, new
        return new, None, new

    def _count(self, kind: str, method: str, n: int = 1) -> None:
        with self._lock:
            self.counters[(kind, method)] += n

    def _write(self, method: str, *args: Any) -> Any:
        first, second, _ = self._stores()
        result = getattr(first, method)(*args)
        if second is not None:
            try:
                getattr(second, method)(*args)
            except Exception:
                self._count("mirror_errors", method)
                log.exception("mirrored %s failed on the secondary store; verify --repair fixes it", method)
            else:
                self._count("mirrored_writes", method)
        return result

    def _read(self, method: str, *args: Any) -> Any:
        first, second, source = self._stores()
        result = getattr(source, method)(*args)
        if second is not None and self._random.random() < self.shadow_rate:
            other = second if source is first else first
            try:
                shadow = getattr(other, method)(*args)
            except Exception:
                self._count("shadow_errors", method)
            else:
                self._count("shadow_reads", method)
                if shadow != result:
                    self._recheck(method, args, source, other)
        return result

    def _recheck(self, method: str, args: tuple[Any, ...], source: Store, other: Store) -> None:
        """Decide about a difference later, off the request's path (a bounded queue; dropped when full)."""
        if self._rechecks is None:
            self._rechecks = queue.Queue(maxsize=RECHECK_QUEUE)
            threading.Thread(target=self._rechecker, name="migration-recheck", daemon=True).start()
        try:
            self._rechecks.put_nowait((method, args, source, other))
        except queue.Full:
            self._count("shadow_unchecked", method)

    def _rechecker(self) -> None:
        """A mirrored write lands on one store a moment before the other, so a read in between differs
        without anything being wrong; a difference is a mismatch only if the two never agree again
        over a few reads spread across ``RECHECK_DELAYS_S``."""
        assert self._rechecks is not None
        while True:
            pending = [self._rechecks.get()]  # all that are queued are re-checked together, round by round
            while True:
                try:
                    pending.append(self._rechecks.get_nowait())
                except queue.Empty:
                    break
            taken = len(pending)
            for delay in RECHECK_DELAYS_S:
                time.sleep(delay)
                pending = [item for item in pending if not self._agrees(*item)]
                if not pending:
                    break
            for method, *_ in pending:
                self._count("shadow_mismatches", method)
            for _ in range(taken):
                self._rechecks.task_done()

    def _agrees(self, method: str, args: tuple[Any, ...], source: Store, other: Store) -> bool:
        try:
            agrees = bool(getattr(source, method)(*args) == getattr(other, method)(*args))
        except Exception:
            return False
        if agrees:
            self._count("shadow_settled", method)
        return agrees

    def wait_rechecks(self) -> None:
        """Block until every difference seen so far is decided (tests, and before reading counters)."""
        if self._rechecks is not None:
            self._rechecks.join()

    # --- the Store protocol ----------------------------------------------------------------------
    def put_tracks(self, tracks: Sequence[Track]) -> None:
        self._write("put_tracks", tracks)

    def get_track(self, track_id: str) -> Track | None:
        found: Track | None = self._read("get_track", track_id)
        return found

    def get_tracks(self, track_ids: Iterable[str]) -> dict[str, Track]:
        found: dict[str, Track] = self._read("get_tracks", list(track_ids))
        return found

    def put_artists(self, artists: Sequence[Artist]) -> None:
        self._write("put_artists", artists)

    def get_artist(self, artist_id: str) -> Artist | None:
        found: Artist | None = self._read("get_artist", artist_id)
        return found

    def put_albums(self, albums: Sequence[Album]) -> None:
        self._write("put_albums", albums)

    def get_album(self, album_id: str) -> Album | None:
        found: Album | None = self._read("get_album", album_id)
        return found

    def add_listens(self, listens: Sequence[Listen]) -> int:
        added: int = self._write("add_listens", listens)
        return added

    def listens(self, user_id: str, day: date) -> list[Listen]:
        found: list[Listen] = self._read("listens", user_id, day)
        return found

    def listen_days(self, user_id: str) -> list[tuple[date, int]]:
        found: list[tuple[date, int]] = self._read("listen_days", user_id)
        return found

    def get_profile(self, user_id: str) -> bytes | None:
        found: bytes | None = self._read("get_profile", user_id)
        return found

    def get_profiles(self, user_ids: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = self._read("get_profiles", list(user_ids))
        return found

    def put_profiles(self, profiles: Mapping[str, bytes]) -> None:
        self._write("put_profiles", profiles)

    def put_playlists(self, playlists: Sequence[Playlist]) -> None:
        self._write("put_playlists", playlists)

    def get_playlists(self, user_id: str, kind: str) -> list[Playlist]:
        found: list[Playlist] = self._read("get_playlists", user_id, kind)
        return found

    def put_features(self, track_id: str, features: Mapping[str, Any]) -> None:
        self._write("put_features", track_id, features)

    def get_features(self, track_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._read("get_features", track_id)
        return found

    def get_features_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self._read("get_features_many", list(track_ids))
        return found

    def put_analysis(self, track_id: str, data: bytes) -> None:
        self._write("put_analysis", track_id, data)

    def get_analysis(self, track_id: str) -> bytes | None:
        found: bytes | None = self._read("get_analysis", track_id)
        return found

    def put_labels(self, track_id: str, labels: Mapping[str, Any]) -> None:
        self._write("put_labels", track_id, labels)

    def get_labels(self, track_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._read("get_labels", track_id)
        return found

    def get_labels_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self._read("get_labels_many", list(track_ids))
        return found

    def put_recaps(self, year: int, recaps: Mapping[str, bytes]) -> None:
        self._write("put_recaps", year, recaps)

    def get_recap(self, user_id: str, year: int) -> bytes | None:
        found: bytes | None = self._read("get_recap", user_id, year)
        return found

    def put_library_files(self, files: Sequence[LibraryFile]) -> None:
        self._write("put_library_files", files)

    def get_library_file(self, path: str) -> LibraryFile | None:
        found: LibraryFile | None = self._read("get_library_file", path)
        return found

    def put_user(self, user: User) -> None:
        self._write("put_user", user)

    def get_user(self, name: str) -> User | None:
        found: User | None = self._read("get_user", name)
        return found

    def user_for_token_hash(self, token_hash: str) -> User | None:
        found: User | None = self._read("user_for_token_hash", token_hash)
        return found

    def delete_user(self, name: str) -> bool:
        deleted: bool = self._write("delete_user", name)
        return deleted

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Forgets on both stores while a migration mirrors (the counts are the primary's)."""
        counts: dict[str, int] = self._write("forget_user", user_id)
        return counts

    def close(self) -> None:
        try:
            self.old.close()
        finally:
            if self.new is not None:
                self.new.close()


def open_store_for(store_url: str, state_file: StateFile, open_store: Callable[[str], Store]) -> Store:
    """The store a process should use: the configured one alone, or mirrored during a migration.

    Once the configuration names the migration's target (after ``done``), the target is used alone.
    """
    state = state_file.load()
    if state is not None and store_url == state.target_url:
        return open_store(store_url)
    if state is not None and store_url != state.source_url:
        msg = (
            f"a migration from {state.source_url!r} to {state.target_url!r} is in progress "
            f"({state_file.path}), but store_url is {store_url!r}"
        )
        raise ConfigError(msg)
    old = open_store(store_url)
    try:
        return MirroredStore(old, state_file, open_store)
    except BaseException:
        old.close()
        raise


def advance(state: MigrationState, phase: str) -> MigrationState:
    state.phase = phase
    state.history.append((datetime.now(UTC), phase))
    return state


def backfill(
    state_file: StateFile,
    source: Exportable,
    target: Store,
    *,
    tables: Sequence[str] = TABLES,
    batch_rows: int = 2000,
    max_rows_per_s: float = 0.0,
    on_rows: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy ``tables`` from ``source`` to ``target``, checkpointing after every batch (resumable).

    ``max_rows_per_s`` (0: unlimited) throttles the copy so that the serving path keeps its share of
    both stores.
    """
    copied: dict[str, int] = {}
    for table in tables:
        state = _require(state_file)
        if table in state.done_tables:
            continue
        cursor = state.cursors.get(table)
        started, count = time.monotonic(), 0
        while True:
            batch = source.export_rows(table, cursor, batch_rows)
            write_rows(target, table, batch.rows)
            count += len(batch.rows)
            if on_rows is not None:
                on_rows(table, len(batch.rows))
            cursor = batch.cursor
            state = _require(state_file)  # another command (cutover) may have changed it meanwhile
            state.cursors[table] = cursor
            if cursor is None:
                state.done_tables.append(table)
            state_file.save(state)
            if cursor is None:
                break
            if max_rows_per_s > 0:
                ahead = count / max_rows_per_s - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        copied[table] = count
    return copied


class TableParity(msgspec.Struct, kw_only=True):
    rows: int = 0
    differing: int = 0
    repaired: int = 0
    examples: list[str] = []


def verify(
    source: Exportable,
    target: Store,
    *,
    tables: Sequence[str] = TABLES,
    repair: bool = False,
    batch_rows: int = 2000,
    on_rows: Callable[[str, int], None] | None = None,
) -> dict[str, TableParity]:
    """Compare every row of ``source`` with ``target`` (read through the Store protocol), table by table;
    with ``repair``, copy the differing rows again and count those still differing after."""
    report: dict[str, TableParity] = {}
    for table in tables:
        parity = report[table] = TableParity()
        cursor: str | None = None
        while True:
            batch = source.export_rows(table, cursor, batch_rows)
            parity.rows += len(batch.rows)
            differing = differing_rows(target, table, batch.rows)
            if differing and repair:
                write_rows(target, table, differing)
                still = differing_rows(target, table, differing)
                parity.repaired += len(differing) - len(still)
                differing = still
            parity.differing += len(differing)
            parity.examples += [repr(row)[:200] for row in differing[: max(0, 3 - len(parity.examples))]]
            if on_rows is not None:
                on_rows(table, len(batch.rows))
            cursor = batch.cursor
            if cursor is None:
                break
    return report


def _require(state_file: StateFile) -> MigrationState:
    state = state_file.load()
    if state is None:
        msg = "no migration in progress: start one with `tastemaker migrate start --to URL`"
        raise ConfigError(msg)
    return state
