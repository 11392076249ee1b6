"""The scale-out Store on Apache Cassandra or ScyllaDB: one table per query, prepared statements only.

URL: ``cassandra://host1,host2:9042/keyspace?dc=datacenter1&consistency=LOCAL_QUORUM&replication=1``
with optional ``serial_consistency``, ``username``/``password``, ``connect_timeout`` and
``request_timeout``; ``cassandra_schema`` documents each parameter and docs/cassandra.md the tables.

Opening the store creates the keyspace (if missing) and runs the forward-only migrations, then
prepares every statement. Reads and writes go to a replica of their partition first
(``TokenAwarePolicy(DCAwareRoundRobinPolicy(dc))``), at the URL's consistency level.

Cassandra has no multi-partition transactions, so two methods differ from SQL backends in how they
keep the contract:

- ``add_listens`` inserts each listen with a lightweight transaction (``INSERT … IF NOT EXISTS``,
  a Paxos round: about four round trips instead of one) to learn whether it is new. A timed-out
  transaction is run again with the same ``write_id``, so finding its own earlier attempt still
  counts it as new. Then it counts each (user, day) partition it touched and raises that day's
  ``listen_days`` row to the count with a compare-and-set. Counts never go down (listens are never
  deleted), so the largest count wins whatever the order of racing writers, and a batch delivered
  again after a crash repairs a count the crashed attempt did not reach. Counter columns were
  rejected: an increment cannot be retried safely, so every crash or timeout would skew a count.
- ``put_user`` reads the old token hash, then replaces the user row and its token row in one logged
  batch (all or nothing, eventually); ``user_for_token_hash`` trusts the user row, so a stale token
  row left by racing writers never authenticates.

Nothing in the Store expires: listens are the user's history (Wrapped reads whole years), and a
listen vanishing by TTL would leave ``listen_days`` counting it, so retention belongs to a deletion
job that removes listens and their day rows together, not to TTLs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

import msgspec
from cassandra import (
    AuthenticationFailed,
    ConsistencyLevel,
    OperationTimedOut,
    RequestExecutionException,
    Unauthorized,
    UnresolvableContactPoints,
    WriteTimeout,
)
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import (
    EXEC_PROFILE_DEFAULT,
    Cluster,
    ExecutionProfile,
    NoHostAvailable,
    Session,
)
from cassandra.concurrent import execute_concurrent, execute_concurrent_with_args
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import (
    UNSET_VALUE,
    BatchStatement,
    BatchType,
    PreparedStatement,
    tuple_factory,
)

from tastemaker.errors import BackendUnavailable
from tastemaker.storage.cassandra_schema import (
    ALBUM_COLUMNS,
    ARTIST_COLUMNS,
    CREATE_VERSION_TABLE,
    INSERT_VERSION,
    LATEST_VERSION,
    MIGRATIONS,
    QUERIES,
    SCHEMA_COMPONENT,
    SELECT_VERSIONS,
    TRACK_COLUMNS,
    CassandraSettings,
    create_keyspace,
    parse_url,
)
from tastemaker.storage.encoding import listen_key, text
from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User
from tastemaker.storage.store import PLAYLIST_KINDS, recap_years

_LISTEN = msgspec.json.Decoder(Listen)
_PLAYLIST = msgspec.json.Decoder(Playlist)
_USER = msgspec.json.Decoder(User)
_LIBRARY_FILE = msgspec.json.Decoder(LibraryFile)
_DICT = msgspec.json.Decoder(dict[str, Any])
_CONCURRENCY = 64  # requests in flight per call: enough to hide latency, few enough not to flood a node
_CAS_ATTEMPTS = 5  # Paxos rounds that contend on one listen can time out; each retry is safe
_PLAYLIST_BATCH = 100  # rows per single-partition batch, well under the batch size warning threshold


def _columns(struct: msgspec.Struct, columns: tuple[str, ...]) -> tuple[Any, ...]:
    """The row's values, with UNSET for None and [] so an INSERT keeps what is stored (merge)."""
    values = (getattr(struct, column) for column in columns)
    return tuple(UNSET_VALUE if value is None or value == [] else value for value in values)


def _merged(structs: Sequence[Any], key: str) -> list[Any]:
    """Merge rows with the same key within one call, later fields winning: the rows of one call may
    reach the cluster in any order, so the store sends one row per key."""
    rows: dict[str, Any] = {}
    for struct in structs:
        old = rows.get(getattr(struct, key))
        if old is not None:
            fields = {f: v for f in struct.__struct_fields__ if (v := getattr(struct, f)) not in (None, [])}
            struct = msgspec.structs.replace(old, **fields)
        rows[getattr(struct, key)] = struct
    return list(rows.values())


def _struct(cls: type[Any], columns: tuple[str, ...], row: tuple[Any, ...]) -> Any:
    return cls(**{column: value for column, value in zip(columns, row, strict=True) if value is not None})


class CassandraStore:
    """The Store Protocol on a Cassandra or ScyllaDB keyspace; safe to share between threads."""

    def __init__(self, settings: CassandraSettings) -> None:
        self.settings = settings
        self._closed = False
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.dc)),
            consistency_level=getattr(ConsistencyLevel, settings.consistency),
            serial_consistency_level=getattr(ConsistencyLevel, settings.serial_consistency),
            request_timeout=settings.request_timeout,
            row_factory=tuple_factory,
        )
        auth = (
            PlainTextAuthProvider(username=settings.username, password=settings.password)
            if settings.username is not None
            else None
        )
        with self._errors():
            self._cluster = Cluster(
                contact_points=list(settings.hosts),
                port=settings.port,
                auth_provider=auth,
                execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                connect_timeout=settings.connect_timeout,
                control_connection_timeout=settings.connect_timeout,
            )
        try:
            with self._errors():
                self._session: Session = self._cluster.connect()
                if settings.keyspace not in self._cluster.metadata.keyspaces:
                    self._session.execute(create_keyspace(settings))
                self._session.set_keyspace(settings.keyspace)
                self._migrate()
                self._q: dict[str, PreparedStatement] = {
                    name: self._session.prepare(cql) for name, cql in QUERIES.items()
                }
        except BaseException:
            self._cluster.shutdown()
            raise

    @classmethod
    def from_url(cls, url: str) -> CassandraStore:
        return cls(parse_url(url))

    # catalog
    def put_tracks(self, tracks: Sequence[Track]) -> None:
        rows = [_columns(t, TRACK_COLUMNS) for t in _merged(tracks, "track_id")]
        self._write_all("insert_track", rows)

    def get_track(self, track_id: str) -> Track | None:
        return self.get_tracks([track_id]).get(track_id)

    def get_tracks(self, track_ids: Iterable[str]) -> dict[str, Track]:
        return {
            row[0]: _struct(Track, TRACK_COLUMNS, row) for row in self._read_many("select_track", track_ids)
        }

    def put_artists(self, artists: Sequence[Artist]) -> None:
        rows = [_columns(a, ARTIST_COLUMNS) for a in _merged(artists, "artist_id")]
        self._write_all("insert_artist", rows)

    def get_artist(self, artist_id: str) -> Artist | None:
        rows = self._read_many("select_artist", [artist_id])
        return _struct(Artist, ARTIST_COLUMNS, rows[0]) if rows else None

    def put_albums(self, albums: Sequence[Album]) -> None:
        rows = [_columns(a, ALBUM_COLUMNS) for a in _merged(albums, "album_id")]
        self._write_all("insert_album", rows)

    def get_album(self, album_id: str) -> Album | None:
        rows = self._read_many("select_album", [album_id])
        return _struct(Album, ALBUM_COLUMNS, rows[0]) if rows else None

    # listening history
    def add_listens(self, listens: Sequence[Listen]) -> int:
        """One lightweight transaction per distinct listen, then a recount of each (user, day) touched."""
        rows: dict[tuple[str, date, str], tuple[Any, ...]] = {}
        write_id = uuid.uuid4()
        for listen in listens:
            user_id, day, ts_ms, event_id, data = listen_key(listen)
            rows.setdefault((user_id, day, event_id), (user_id, day, event_id, ts_ms, data, write_id))
        with self._errors():
            results = execute_concurrent_with_args(
                self._session,
                self._q["insert_listen"],
                list(rows.values()),
                concurrency=_CONCURRENCY,
                raise_on_first_error=False,
            )
            new = sum(
                self._inserted(row, ok, result)
                for row, (ok, result) in zip(rows.values(), results, strict=True)
            )
            self._recount(list(dict.fromkeys((user_id, day) for user_id, day, _ in rows)))
        return new

    def listens(self, user_id: str, day: date) -> list[Listen]:
        rows = self._execute("select_listens", (user_id, day))
        return [_LISTEN.decode(data) for _, _, data in sorted(rows, reverse=True)]

    def listen_days(self, user_id: str) -> list[tuple[date, int]]:
        rows = self._execute("select_listen_days", (user_id,))
        return [(day.date(), count) for day, count in rows]

    # profiles
    def get_profile(self, user_id: str) -> bytes | None:
        return self.get_profiles([user_id]).get(user_id)

    def get_profiles(self, user_ids: Iterable[str]) -> dict[str, bytes]:
        unique = list(dict.fromkeys(user_ids))
        found = self._read_many("select_profile", unique, keyed=False)
        return {key: bytes(row[0]) for key, row in zip(unique, found, strict=True) if row is not None}

    def put_profiles(self, profiles: Mapping[str, bytes]) -> None:
        self._write_all("insert_profile", [(user_id, bytes(data)) for user_id, data in profiles.items()])

    # playlists
    def put_playlists(self, playlists: Sequence[Playlist]) -> None:
        """One unlogged batch per (user, kind) partition: atomic and isolated within the partition."""
        partitions: dict[tuple[str, str], dict[str, Playlist]] = {}
        for p in playlists:
            partitions.setdefault((p.user_id, p.kind), {})[p.playlist_id] = p
        batches = []
        for rows in partitions.values():
            ordered = list(rows.values())
            for start in range(0, len(ordered), _PLAYLIST_BATCH):
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                for p in ordered[start : start + _PLAYLIST_BATCH]:
                    batch.add(self._q["insert_playlist"], (p.user_id, p.kind, p.playlist_id, text(p)))
                batches.append(batch)
        if batches:
            with self._errors():
                execute_concurrent(
                    self._session, [(batch, None) for batch in batches], concurrency=_CONCURRENCY
                )

    def get_playlists(self, user_id: str, kind: str) -> list[Playlist]:
        return [_PLAYLIST.decode(data) for (data,) in self._execute("select_playlists", (user_id, kind))]

    # content intelligence
    def put_features(self, track_id: str, features: Mapping[str, Any]) -> None:
        self._execute("insert_features", (track_id, text(dict(features))))

    def get_features(self, track_id: str) -> dict[str, Any] | None:
        return self.get_features_many([track_id]).get(track_id)

    def get_features_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        unique = list(dict.fromkeys(track_ids))
        found = self._read_many("select_features", unique, keyed=False)
        return {key: _DICT.decode(row[0]) for key, row in zip(unique, found, strict=True) if row is not None}

    def put_analysis(self, track_id: str, data: bytes) -> None:
        self._execute("insert_analysis", (track_id, bytes(data)))

    def get_analysis(self, track_id: str) -> bytes | None:
        rows = self._execute("select_analysis", (track_id,))
        return bytes(rows[0][0]) if rows else None

    def put_labels(self, track_id: str, labels: Mapping[str, Any]) -> None:
        self._execute("insert_labels", (track_id, text(dict(labels))))

    def get_labels(self, track_id: str) -> dict[str, Any] | None:
        rows = self._execute("select_labels", (track_id,))
        return _DICT.decode(rows[0][0]) if rows else None

    def get_labels_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        unique = list(dict.fromkeys(track_ids))
        found = self._read_many("select_labels", unique, keyed=False)
        return {key: _DICT.decode(row[0]) for key, row in zip(unique, found, strict=True) if row is not None}

    # Wrapped
    def put_recaps(self, year: int, recaps: Mapping[str, bytes]) -> None:
        self._write_all("insert_recap", [(user_id, year, bytes(data)) for user_id, data in recaps.items()])

    def get_recap(self, user_id: str, year: int) -> bytes | None:
        rows = self._execute("select_recap", (user_id, year))
        return bytes(rows[0][0]) if rows else None

    # library scans
    def put_library_files(self, files: Sequence[LibraryFile]) -> None:
        by_path = {f.path: f for f in files}
        self._write_all("insert_library_file", [(path, text(f)) for path, f in by_path.items()])

    def get_library_file(self, path: str) -> LibraryFile | None:
        rows = self._execute("select_library_file", (path,))
        return _LIBRARY_FILE.decode(rows[0][0]) if rows else None

    # accounts
    def put_user(self, user: User) -> None:
        """Replace the user and token rows in one logged batch, dropping the previous token's row."""
        old = self.get_user(user.name)
        batch = BatchStatement(batch_type=BatchType.LOGGED)
        batch.add(self._q["insert_user"], (user.name, text(user)))
        batch.add(self._q["insert_token"], (user.token_hash, user.name))
        if old is not None and old.token_hash != user.token_hash:
            batch.add(self._q["delete_token"], (old.token_hash,))
        with self._errors():
            self._session.execute(batch)

    def get_user(self, name: str) -> User | None:
        rows = self._execute("select_user", (name,))
        return _USER.decode(rows[0][0]) if rows else None

    def user_for_token_hash(self, token_hash: str) -> User | None:
        rows = self._execute("select_token", (token_hash,))
        user = self.get_user(rows[0][0]) if rows else None
        return user if user is not None and user.token_hash == token_hash else None

    def delete_user(self, name: str) -> bool:
        old = self.get_user(name)
        if old is None:
            return False
        batch = BatchStatement(batch_type=BatchType.LOGGED)
        batch.add(self._q["delete_user"], (name,))
        batch.add(self._q["delete_token"], (old.token_hash,))
        with self._errors():
            self._session.execute(batch)
        return True

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete everything held about one listener, row by row; returns rows deleted per table.

        Every delete names one row by its whole primary key, found by partition-key reads only:
        listens through ``listen_days``, playlists over ``PLAYLIST_KINDS``, recaps over every year
        events may have (``recap_years``). Cassandra writes tombstones; the bytes go at the next
        compaction after ``gc_grace_seconds`` (docs/privacy.md).
        """
        counts = {"listens": 0, "profiles": 0, "playlists": 0, "recaps": 0, "users": 0}
        for day, _count in self.listen_days(user_id):
            for _ts, event_id, _data in self._execute("select_listens", (user_id, day)):
                self._execute("delete_listen", (user_id, day, event_id))
                counts["listens"] += 1
            self._execute("delete_listen_day", (user_id, day))
        if self.get_profile(user_id) is not None:
            self._execute("delete_profile", (user_id,))
            counts["profiles"] = 1
        for kind in PLAYLIST_KINDS:
            for playlist in self.get_playlists(user_id, kind):
                self._execute("delete_playlist", (user_id, kind, playlist.playlist_id))
                counts["playlists"] += 1
        for year in recap_years():
            if self._execute("select_recap", (user_id, year)):
                self._execute("delete_recap", (user_id, year))
                counts["recaps"] += 1
        counts["users"] = int(self.delete_user(user_id))
        return counts

    def close(self) -> None:
        """Shut the driver's connections and threads down; idempotent."""
        if not self._closed:
            self._closed = True
            self._cluster.shutdown()

    def __enter__(self) -> CassandraStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CassandraStore({','.join(self.settings.hosts)}:{self.settings.port}/{self.settings.keyspace})"
        )

    # helpers
    def _migrate(self) -> None:
        """Create the version table, then apply each missing version and record it.

        Every statement is ``IF NOT EXISTS``, so processes migrating at once repeat work harmlessly;
        the driver waits for schema agreement after each DDL statement before the next one runs.
        """
        self._session.execute(CREATE_VERSION_TABLE)
        rows = self._session.execute(self._session.prepare(SELECT_VERSIONS), (SCHEMA_COMPONENT,))
        found = max((version for (version,) in rows), default=0)
        if found > LATEST_VERSION:
            msg = (
                f"Cassandra store {self!r}: schema version {found} was written by a newer Tastemaker; "
                "upgrade Tastemaker to open it"
            )
            raise BackendUnavailable(msg)
        insert_version = self._session.prepare(INSERT_VERSION) if found < LATEST_VERSION else None
        for version in range(found + 1, LATEST_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                self._session.execute(statement)
            if not self._cluster.control_connection.wait_for_schema_agreement():
                msg = (
                    f"Cassandra store {self!r}: nodes did not agree on the schema; "
                    "check `nodetool describecluster` and open the store again"
                )
                raise BackendUnavailable(msg)
            self._session.execute(insert_version, (SCHEMA_COMPONENT, version, datetime.now(UTC)))

    def _inserted(self, row: tuple[Any, ...], ok: bool, result: Any) -> bool:
        """Whether the listen's transaction inserted it. A Paxos write timeout leaves the outcome
        unknown, so the transaction is run again; the row it then finds is ours if it carries this
        call's write_id (the last value of ``row``)."""
        for _ in range(_CAS_ATTEMPTS):
            if ok:
                applied, found = _outcome(result, "write_id")
                return applied or found == row[-1]
            if not isinstance(result, WriteTimeout):
                raise result
            try:
                result, ok = self._session.execute(self._q["insert_listen"], row), True
            except WriteTimeout as exc:
                result = exc
        raise result

    def _recount(self, days: list[tuple[str, date]]) -> None:
        """Raise each day's ``listen_days`` row to the number of listens its partition holds now.

        All days go concurrently, phase by phase: count, then ``UPDATE … IF listens < n``; a day
        without a row gets ``INSERT … IF NOT EXISTS``, and one that lost that race or timed out
        goes round again. Every step is idempotent, so a retry can only repair a count.
        """
        counted = execute_concurrent_with_args(
            self._session, self._q["count_listens"], days, concurrency=_CONCURRENCY
        )
        pending = {day: int(result.one()[0]) for day, (_, result) in zip(days, counted, strict=True)}
        for _ in range(_CAS_ATTEMPTS):
            keys = list(pending)
            raised = self._cas_all("raise_listen_day", [(pending[k], *k, pending[k]) for k in keys])
            missing = []
            for key, outcome in zip(keys, raised, strict=True):
                if outcome is not None and (outcome[0] or outcome[1] is not None):
                    del pending[key]  # raised, or already at least as high
                elif outcome is not None:
                    missing.append(key)
            inserted = self._cas_all("insert_listen_day", [(*k, pending[k]) for k in missing])
            for key, outcome in zip(missing, inserted, strict=True):
                if outcome is not None and outcome[0]:
                    del pending[key]
            if not pending:
                return
        msg = (
            f"Cassandra store {self!r}: listen_days of {len(pending)} day(s) still not updated after "
            f"{_CAS_ATTEMPTS} rounds of timeouts or contention; the listens are stored, and adding the "
            "same batch again repairs the counts"
        )
        raise BackendUnavailable(msg)

    def _cas_all(self, name: str, rows: list[tuple[Any, ...]]) -> list[tuple[bool, Any] | None]:
        """Run a lightweight transaction per row: (applied, the ``listens`` value found), or None
        where Paxos timed out and the outcome is unknown."""
        results = execute_concurrent_with_args(
            self._session, self._q[name], rows, concurrency=_CONCURRENCY, raise_on_first_error=False
        )
        outcomes: list[tuple[bool, Any] | None] = []
        for ok, result in results:
            if not ok and not isinstance(result, WriteTimeout):
                raise result
            outcomes.append(_outcome(result, "listens") if ok else None)
        return outcomes

    def _write_all(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Concurrent single-partition writes; durable (acknowledged at the consistency level) on return."""
        if rows:
            with self._errors():
                execute_concurrent_with_args(self._session, self._q[name], rows, concurrency=_CONCURRENCY)

    def _read_many(self, name: str, keys: Iterable[str], *, keyed: bool = True) -> list[Any]:
        """One single-partition read per key, concurrently (token-aware, unlike ``IN (…)`` across
        partitions). ``keyed``: the found rows only; otherwise the first row or None, one per key."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        with self._errors():
            results = execute_concurrent_with_args(
                self._session, self._q[name], [(key,) for key in unique], concurrency=_CONCURRENCY
            )
            firsts = [result.one() for _, result in results]
        return [row for row in firsts if row is not None] if keyed else firsts

    def _execute(self, name: str, params: tuple[Any, ...]) -> list[Any]:
        with self._errors():
            return list(self._session.execute(self._q[name], params))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the driver's availability, timeout and authentication errors into BackendUnavailable."""
        if self._closed:
            msg = f"Cassandra store {self!r} is closed"
            raise BackendUnavailable(msg)
        try:
            yield
        except (NoHostAvailable, UnresolvableContactPoints) as exc:
            msg = (
                f"Cassandra store: no host of {', '.join(self.settings.hosts)} (port {self.settings.port}) "
                f"answered ({_reasons(exc)}); check that the cluster is up and reachable from here, and the "
                "hosts, port, dc and credentials in store_url"
            )
            raise BackendUnavailable(msg) from exc
        except (RequestExecutionException, OperationTimedOut, Unauthorized, AuthenticationFailed) as exc:
            msg = (
                f"Cassandra store {self!r}: {type(exc).__name__}: {exc}; retry, or check the cluster's health"
            )
            raise BackendUnavailable(msg) from exc


def _outcome(result: Any, column: str) -> tuple[bool, Any]:
    """A lightweight transaction's [applied] flag and, when not applied, the value of ``column`` in
    the row it found (None when there is no row)."""
    first = result.one()
    names = list(result.column_names)
    return bool(first[0]), first[names.index(column)] if column in names else None


def _reasons(exc: Any) -> str:
    if isinstance(exc, UnresolvableContactPoints):
        return "no host name resolves to an address"
    errors: dict[Any, Any] = getattr(exc, "errors", {}) or {}
    return "; ".join(f"{host}: {error}" for host, error in errors.items()) or str(exc)
