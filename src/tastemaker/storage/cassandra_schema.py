"""Cluster side of the Cassandra Store: URL, keyspace, tables, migrations and every CQL statement.

One table per query: each Store method reads or writes tables by their full partition key, so every
read is a single-partition query that a token-aware driver sends straight to a replica. All CQL is a
constant here (``MIGRATIONS`` and ``QUERIES``) so that it can be checked without a server, and
``METHOD_QUERIES`` says which prepared statements each Store method uses (see docs/cassandra.md).

URL: ``cassandra://host1,host2:9042/keyspace?param=value&…``. Hosts are contact points (the driver
discovers the rest of the cluster); the port (9042 by default) applies to all of them. Parameters:

- ``dc``: the local datacenter, for ``TokenAwarePolicy(DCAwareRoundRobinPolicy(dc))`` routing
  (``datacenter1`` by default, the name a single-node Cassandra or ScyllaDB uses).
- ``consistency``: the consistency level of every read and write (``LOCAL_QUORUM`` by default,
  so a read sees every write acknowledged before it with a replication factor of 3).
- ``serial_consistency``: the Paxos level of the lightweight transactions in ``add_listens``
  (``LOCAL_SERIAL`` by default; ``SERIAL`` for linearizable listens across datacenters).
- ``replication``: the replication of the keyspace when the store creates it: a number
  (``SimpleStrategy`` with that factor, for development; ``1`` by default) or ``dc1:3,dc2:3``
  (``NetworkTopologyStrategy``, for production). An existing keyspace is never altered.
- ``username`` and ``password``: PasswordAuthenticator credentials (both or neither).
- ``connect_timeout`` and ``request_timeout``: seconds (5 and 10 by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from tastemaker.errors import ConfigError

DEFAULT_PORT = 9042
CONSISTENCY_LEVELS = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")
SERIAL_LEVELS = ("SERIAL", "LOCAL_SERIAL")
PARAMETERS = (
    "dc",
    "consistency",
    "serial_consistency",
    "replication",
    "username",
    "password",
    "connect_timeout",
    "request_timeout",
)
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,47}")  # an unquoted CQL name: case-insensitive, <= 48 chars
_PASSWORD = re.compile(r"([?&]password=)[^&]*")
_DC_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True, kw_only=True)
class CassandraSettings:
    """What a ``cassandra://`` URL says; ``replication`` is the CQL map literal for CREATE KEYSPACE."""

    hosts: tuple[str, ...]
    port: int
    keyspace: str
    dc: str = "datacenter1"
    consistency: str = "LOCAL_QUORUM"
    serial_consistency: str = "LOCAL_SERIAL"
    replication: str = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    username: str | None = None
    password: str | None = None
    connect_timeout: float = 5.0
    request_timeout: float = 10.0


def parse_url(url: str) -> CassandraSettings:
    """Parse and check a ``cassandra://`` URL; every mistake is a ConfigError naming the URL."""
    parts = urlsplit(url)
    url = _PASSWORD.sub(r"\1***", url)  # error messages name the URL, never its password
    if parts.scheme != "cassandra":
        msg = f"{url!r}: expected cassandra://host1,host2:9042/keyspace"
        raise ConfigError(msg)
    hostlist, _, port_text = parts.netloc.rpartition(":") if ":" in parts.netloc else (parts.netloc, "", "")
    hosts = tuple(h for h in (unquote(h).strip() for h in hostlist.split(",")) if h)
    if not hosts or "@" in parts.netloc:
        msg = (
            f"{url!r}: name the contact points as cassandra://host1,host2:9042/keyspace "
            "(credentials go in ?username=…&password=…)"
        )
        raise ConfigError(msg)
    if port_text and not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        msg = f"{url!r}: port {port_text!r} is not a TCP port number"
        raise ConfigError(msg)
    keyspace = unquote(parts.path).strip("/")
    if not _IDENTIFIER.fullmatch(keyspace):
        msg = (
            f"{url!r}: keyspace {keyspace!r} must be a lower-case CQL name "
            "(a letter, then letters, digits or _, at most 48 characters)"
        )
        raise ConfigError(msg)
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - set(PARAMETERS))
    if unknown:
        msg = f"{url!r}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(PARAMETERS)}"
        raise ConfigError(msg)
    dc = query.get("dc", "datacenter1")
    if not _DC_NAME.fullmatch(dc):
        msg = f"{url!r}: dc={dc!r} is not a datacenter name"
        raise ConfigError(msg)
    username, password = query.get("username"), query.get("password")
    if (username is None) != (password is None) or username == "":
        msg = f"{url!r}: give both username and password, or neither"
        raise ConfigError(msg)
    return CassandraSettings(
        hosts=hosts,
        port=int(port_text) if port_text else DEFAULT_PORT,
        keyspace=keyspace,
        dc=dc,
        consistency=_level(url, "consistency", query.get("consistency", "LOCAL_QUORUM"), CONSISTENCY_LEVELS),
        serial_consistency=_level(
            url, "serial_consistency", query.get("serial_consistency", "LOCAL_SERIAL"), SERIAL_LEVELS
        ),
        replication=_replication(url, query.get("replication", "1")),
        username=username,
        password=password,
        connect_timeout=_seconds(url, "connect_timeout", query.get("connect_timeout", "5")),
        request_timeout=_seconds(url, "request_timeout", query.get("request_timeout", "10")),
    )


def _level(url: str, name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value.upper() not in allowed:
        msg = f"{url!r}: {name}={value!r}; use one of {', '.join(allowed)}"
        raise ConfigError(msg)
    return value.upper()


def _seconds(url: str, name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        msg = f"{url!r}: {name}={value!r} is not a number of seconds between 0 and 3600"
        raise ConfigError(msg)
    return seconds


def _replication(url: str, value: str) -> str:
    """``3`` → SimpleStrategy, ``dc1:3,dc2:2`` → NetworkTopologyStrategy, as a CQL map literal."""
    if value.isascii() and value.isdigit() and int(value) > 0:
        return f"{{'class': 'SimpleStrategy', 'replication_factor': {int(value)}}}"
    factors: list[str] = []
    for item in value.split(","):
        dc, _, factor = item.partition(":")
        if not (_DC_NAME.fullmatch(dc) and factor.isascii() and factor.isdigit() and int(factor) > 0):
            msg = (
                f"{url!r}: replication={value!r}; use a replication factor (SimpleStrategy, e.g. 1) or "
                "datacenter:factor pairs (NetworkTopologyStrategy, e.g. dc1:3,dc2:3)"
            )
            raise ConfigError(msg)
        factors.append(f"'{dc}': {int(factor)}")
    return f"{{'class': 'NetworkTopologyStrategy', {', '.join(factors)}}}"


def create_keyspace(settings: CassandraSettings) -> str:
    """DDL takes no bind markers; both names were checked against strict patterns by ``parse_url``."""
    return f"CREATE KEYSPACE IF NOT EXISTS {settings.keyspace} WITH replication = {settings.replication}"


# One partition holds every applied version; migrations are forward-only and each statement is
# idempotent (IF NOT EXISTS), so a migration interrupted half-way is simply run again.
SCHEMA_COMPONENT = "store"
CREATE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS store_schema_version ("
    "component text, version int, applied_at timestamp, PRIMARY KEY (component, version))"
)
SELECT_VERSIONS = "SELECT version FROM store_schema_version WHERE component = ?"
INSERT_VERSION = "INSERT INTO store_schema_version (component, version, applied_at) VALUES (?, ?, ?)"

# Version N is MIGRATIONS[N - 1]; append new versions, never edit a shipped one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # Catalog rows are columns, so a merge is an INSERT that leaves omitted fields unset. Genres
        # are frozen: replacing them writes one cell instead of a range tombstone plus cells.
        """CREATE TABLE IF NOT EXISTS tracks (
            track_id text PRIMARY KEY, name text, artist_id text, artist_name text, album_id text,
            album_name text, duration_ms bigint, release_date text, genres frozen<list<text>>, isrc text,
            popularity double, recording_mbid text, audio_url text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS artists (
            artist_id text PRIMARY KEY, name text, genres frozen<list<text>>, mbid text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS albums (
            album_id text PRIMARY KEY, name text, artist_id text, artist_name text, release_date text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        # Listens are write-once: clustering by event_id makes INSERT … IF NOT EXISTS the dedup; a
        # (user, day) partition is small and read whole, so it is sorted by ts on read. write_id tells
        # a retried lightweight transaction that the row it finds is its own earlier attempt.
        """CREATE TABLE IF NOT EXISTS listens (
            user_id text, day date, event_id text, ts_ms bigint, data text, write_id uuid,
            PRIMARY KEY ((user_id, day), event_id)
        ) WITH compaction = {'class': 'SizeTieredCompactionStrategy'}""",
        # Not a counter table: counter increments are not idempotent, so a crash between the inserts
        # and the increment would leave a count short for ever. Each writer recounts the (user, day)
        # partitions it touched and raises the stored count with a compare-and-set (IF listens < ?):
        # the largest count seen wins, and a redelivered batch repairs what a crashed one left.
        """CREATE TABLE IF NOT EXISTS listen_days (
            user_id text, day date, listens int, PRIMARY KEY (user_id, day)
        ) WITH CLUSTERING ORDER BY (day DESC) AND compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS profiles (
            user_id text PRIMARY KEY, data blob
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS playlists (
            user_id text, kind text, playlist_id text, data text, PRIMARY KEY ((user_id, kind), playlist_id)
        ) WITH CLUSTERING ORDER BY (playlist_id ASC)
          AND compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS features (
            track_id text PRIMARY KEY, data text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS analyses (
            track_id text PRIMARY KEY, data blob
        ) WITH compaction = {'class': 'SizeTieredCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS labels (
            track_id text PRIMARY KEY, data text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS recaps (
            user_id text, year int, data blob, PRIMARY KEY ((user_id, year))
        ) WITH compaction = {'class': 'SizeTieredCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS library_files (
            path text PRIMARY KEY, data text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS users (
            name text PRIMARY KEY, data text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
        """CREATE TABLE IF NOT EXISTS users_by_token (
            token_hash text PRIMARY KEY, name text
        ) WITH compaction = {'class': 'LeveledCompactionStrategy'}""",
    ),
)
LATEST_VERSION = len(MIGRATIONS)

TRACK_COLUMNS = (
    "track_id",
    "name",
    "artist_id",
    "artist_name",
    "album_id",
    "album_name",
    "duration_ms",
    "release_date",
    "genres",
    "isrc",
    "popularity",
    "recording_mbid",
    "audio_url",
)
ARTIST_COLUMNS = ("artist_id", "name", "genres", "mbid")
ALBUM_COLUMNS = ("album_id", "name", "artist_id", "artist_name", "release_date")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _select(table: str, columns: tuple[str, ...], key: str) -> str:
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {key}"


# Every statement the store prepares, by name. Catalog inserts bind UNSET for omitted fields, so the
# stored value of a field the new row does not carry survives (merge on write, without a read).
QUERIES: dict[str, str] = {
    "insert_track": _insert("tracks", TRACK_COLUMNS),
    "select_track": _select("tracks", TRACK_COLUMNS, "track_id = ?"),
    "insert_artist": _insert("artists", ARTIST_COLUMNS),
    "select_artist": _select("artists", ARTIST_COLUMNS, "artist_id = ?"),
    "insert_album": _insert("albums", ALBUM_COLUMNS),
    "select_album": _select("albums", ALBUM_COLUMNS, "album_id = ?"),
    "insert_listen": (
        "INSERT INTO listens (user_id, day, event_id, ts_ms, data, write_id) VALUES (?, ?, ?, ?, ?, ?) "
        "IF NOT EXISTS"
    ),
    "select_listens": "SELECT ts_ms, event_id, data FROM listens WHERE user_id = ? AND day = ?",
    "count_listens": "SELECT COUNT(*) FROM listens WHERE user_id = ? AND day = ?",
    "raise_listen_day": "UPDATE listen_days SET listens = ? WHERE user_id = ? AND day = ? IF listens < ?",
    "insert_listen_day": "INSERT INTO listen_days (user_id, day, listens) VALUES (?, ?, ?) IF NOT EXISTS",
    "select_listen_days": "SELECT day, listens FROM listen_days WHERE user_id = ?",
    "insert_profile": "INSERT INTO profiles (user_id, data) VALUES (?, ?)",
    "select_profile": "SELECT data FROM profiles WHERE user_id = ?",
    "insert_playlist": "INSERT INTO playlists (user_id, kind, playlist_id, data) VALUES (?, ?, ?, ?)",
    "select_playlists": "SELECT data FROM playlists WHERE user_id = ? AND kind = ?",
    "insert_features": "INSERT INTO features (track_id, data) VALUES (?, ?)",
    "select_features": "SELECT data FROM features WHERE track_id = ?",
    "insert_analysis": "INSERT INTO analyses (track_id, data) VALUES (?, ?)",
    "select_analysis": "SELECT data FROM analyses WHERE track_id = ?",
    "insert_labels": "INSERT INTO labels (track_id, data) VALUES (?, ?)",
    "select_labels": "SELECT data FROM labels WHERE track_id = ?",
    "insert_recap": "INSERT INTO recaps (user_id, year, data) VALUES (?, ?, ?)",
    "select_recap": "SELECT data FROM recaps WHERE user_id = ? AND year = ?",
    "insert_library_file": "INSERT INTO library_files (path, data) VALUES (?, ?)",
    "select_library_file": "SELECT data FROM library_files WHERE path = ?",
    "insert_user": "INSERT INTO users (name, data) VALUES (?, ?)",
    "select_user": "SELECT data FROM users WHERE name = ?",
    "delete_user": "DELETE FROM users WHERE name = ?",
    "insert_token": "INSERT INTO users_by_token (token_hash, name) VALUES (?, ?)",
    "select_token": "SELECT name FROM users_by_token WHERE token_hash = ?",
    "delete_token": "DELETE FROM users_by_token WHERE token_hash = ?",
    # forgetting a listener (Store.forget_user): row by row, every row by its whole primary key
    "delete_listen": "DELETE FROM listens WHERE user_id = ? AND day = ? AND event_id = ?",
    "delete_listen_day": "DELETE FROM listen_days WHERE user_id = ? AND day = ?",
    "delete_profile": "DELETE FROM profiles WHERE user_id = ?",
    "delete_playlist": "DELETE FROM playlists WHERE user_id = ? AND kind = ? AND playlist_id = ?",
    "delete_recap": "DELETE FROM recaps WHERE user_id = ? AND year = ?",
}

# Which prepared statements each Store method runs (documentation, checked by the schema tests).
METHOD_QUERIES: dict[str, tuple[str, ...]] = {
    "put_tracks": ("insert_track",),
    "get_track": ("select_track",),
    "get_tracks": ("select_track",),
    "put_artists": ("insert_artist",),
    "get_artist": ("select_artist",),
    "put_albums": ("insert_album",),
    "get_album": ("select_album",),
    "add_listens": ("insert_listen", "count_listens", "raise_listen_day", "insert_listen_day"),
    "listens": ("select_listens",),
    "listen_days": ("select_listen_days",),
    "get_profile": ("select_profile",),
    "get_profiles": ("select_profile",),
    "put_profiles": ("insert_profile",),
    "put_playlists": ("insert_playlist",),
    "get_playlists": ("select_playlists",),
    "put_features": ("insert_features",),
    "get_features": ("select_features",),
    "get_features_many": ("select_features",),
    "put_analysis": ("insert_analysis",),
    "get_analysis": ("select_analysis",),
    "put_labels": ("insert_labels",),
    "get_labels": ("select_labels",),
    "get_labels_many": ("select_labels",),
    "put_recaps": ("insert_recap",),
    "get_recap": ("select_recap",),
    "put_library_files": ("insert_library_file",),
    "get_library_file": ("select_library_file",),
    "put_user": ("select_user", "insert_user", "insert_token", "delete_token"),
    "get_user": ("select_user",),
    "user_for_token_hash": ("select_token", "select_user"),
    "delete_user": ("select_user", "delete_user", "delete_token"),
    "forget_user": (
        "select_listen_days",
        "select_listens",
        "delete_listen",
        "delete_listen_day",
        "select_profile",
        "delete_profile",
        "select_playlists",
        "delete_playlist",
        "select_recap",
        "delete_recap",
        "select_user",
        "delete_user",
        "delete_token",
    ),
}
