"""What can be checked of the Cassandra Store without a cluster: its CQL, its URL and its errors.

The Store contract itself runs against a real cluster in tests/contracts/test_store.py when
TASTEMAKER_TEST_CASSANDRA_URL is set (docs/cassandra.md). Here the CQL strings are parsed to check
that every Store method has prepared statements and that every statement addresses whole partitions.
"""

from __future__ import annotations

import inspect
import re
import socket
import time
from pathlib import Path

import msgspec
import pytest
from cassandra.query import UNSET_VALUE

from tastemaker.backends import STORES, open_backend
from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.storage.cassandra_schema import (
    ALBUM_COLUMNS,
    ARTIST_COLUMNS,
    CREATE_VERSION_TABLE,
    INSERT_VERSION,
    METHOD_QUERIES,
    MIGRATIONS,
    PARAMETERS,
    QUERIES,
    SELECT_VERSIONS,
    TRACK_COLUMNS,
    CassandraSettings,
    create_keyspace,
    parse_url,
)
from tastemaker.storage.cassandra_store import _columns, _merged
from tastemaker.storage.models import Album, Artist, Track
from tastemaker.storage.store import Store


class Table(msgspec.Struct, frozen=True):
    partition: tuple[str, ...]
    clustering: tuple[str, ...]
    columns: dict[str, str]
    options: str


def parse_table(cql: str) -> tuple[str, Table]:
    """Name, keys and column types of one CREATE TABLE statement (the subset of CQL we write)."""
    match = re.fullmatch(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)(?: WITH (.*))?", " ".join(cql.split()))
    assert match, cql
    name, body = match[1], match[2].strip()
    key_match = re.search(r"PRIMARY KEY \((.*)\)$", body)
    columns: dict[str, str] = {}
    for item in re.split(r",\s*(?![^<]*>)", body[: key_match.start()] if key_match else body):
        column, _, kind = item.strip().partition(" ")
        if column:
            columns[column] = kind.replace(" PRIMARY KEY", "").strip()
    if key_match:
        key = key_match[1]
        if key.startswith("("):
            inner, _, rest = key[1:].partition(")")
            partition = tuple(c.strip() for c in inner.split(","))
            clustering = tuple(c.strip() for c in rest.split(",") if c.strip())
        else:
            first, *rest_cols = (c.strip() for c in key.split(","))
            partition, clustering = (first,), tuple(rest_cols)
    else:
        (inline,) = [item.split()[0] for item in body.split(",") if "PRIMARY KEY" in item]
        partition, clustering = (inline,), ()
    return name, Table(partition, clustering, columns, match[3] or "")


TABLES = dict(parse_table(cql) for cql in (CREATE_VERSION_TABLE, *MIGRATIONS[-1]))
STORE_METHODS = {
    name
    for name, _ in inspect.getmembers(Store, inspect.isfunction)
    if not name.startswith("_") and name != "close"
}


def where_columns(cql: str) -> tuple[str, list[str]]:
    """The table and the columns restricted by ``col = ?`` in a SELECT, UPDATE or DELETE."""
    match = re.search(r"(?:FROM|UPDATE) (\w+) .*WHERE (.*?)(?: IF .*)?$", cql)
    assert match, cql
    terms = match[2].split(" AND ")
    assert all(re.fullmatch(r"\w+ = \?", t) for t in terms), f"only equality on bind markers: {cql}"
    return match[1], [t.split()[0] for t in terms]


def test_every_store_method_has_its_prepared_statements() -> None:
    assert set(METHOD_QUERIES) == STORE_METHODS
    used = {name for names in METHOD_QUERIES.values() for name in names}
    assert used == set(QUERIES)  # every statement prepared is used by some method, none missing


def test_every_read_update_and_delete_names_exactly_one_whole_partition() -> None:
    for name, cql in [*QUERIES.items(), ("select_versions", SELECT_VERSIONS)]:
        assert "ALLOW FILTERING" not in cql and " IN " not in cql, name
        if cql.startswith("INSERT"):
            continue
        table, restricted = where_columns(cql)
        keys = TABLES[table]
        assert tuple(restricted[: len(keys.partition)]) == keys.partition, name
        clustering = tuple(restricted[len(keys.partition) :])
        assert clustering == keys.clustering[: len(clustering)], name
        if cql.startswith(("UPDATE", "DELETE")):  # writes address one row
            assert clustering == keys.clustering, name


def test_every_insert_writes_known_columns_and_the_whole_primary_key() -> None:
    for name, cql in [*QUERIES.items(), ("insert_version", INSERT_VERSION)]:
        match = re.match(r"INSERT INTO (\w+) \((.*?)\) VALUES \((.*?)\)", cql)
        if not match:
            continue
        table, columns = TABLES[match[1]], match[2].split(", ")
        assert match[3] == ", ".join("?" * len(columns)), name
        assert set(columns) <= set(table.columns), name
        assert {*table.partition, *table.clustering} <= set(columns), name


def test_every_selected_column_exists() -> None:
    for name, cql in QUERIES.items():
        match = re.match(r"SELECT (.*?) FROM (\w+)", cql)
        if match and match[1] != "COUNT(*)":
            assert set(match[1].split(", ")) <= set(TABLES[match[2]].columns), name


def test_store_tables_and_their_keys() -> None:
    """The partition key of each table is what its Store method is given (docs/cassandra.md)."""
    keys = {name: (t.partition, t.clustering) for name, t in TABLES.items()}
    assert keys == {
        "store_schema_version": (("component",), ("version",)),
        "tracks": (("track_id",), ()),
        "artists": (("artist_id",), ()),
        "albums": (("album_id",), ()),
        "listens": (("user_id", "day"), ("event_id",)),
        "listen_days": (("user_id",), ("day",)),
        "profiles": (("user_id",), ()),
        "playlists": (("user_id", "kind"), ("playlist_id",)),
        "features": (("track_id",), ()),
        "analyses": (("track_id",), ()),
        "labels": (("track_id",), ()),
        "recaps": (("user_id", "year"), ()),
        "library_files": (("path",), ()),
        "users": (("name",), ()),
        "users_by_token": (("token_hash",), ()),
    }


def test_catalog_tables_have_one_column_per_struct_field() -> None:
    for struct, columns, table in (
        (Track, TRACK_COLUMNS, "tracks"),
        (Artist, ARTIST_COLUMNS, "artists"),
        (Album, ALBUM_COLUMNS, "albums"),
    ):
        assert columns == struct.__struct_fields__
        assert tuple(TABLES[table].columns) == columns


def test_listens_and_their_day_counts_are_written_only_by_lightweight_transactions() -> None:
    """Mixing Paxos and plain writes on one row breaks Paxos's guarantees; none of these is plain."""
    assert "write_id" in TABLES["listens"].columns
    assert TABLES["listen_days"].columns["listens"] == "int"  # not a counter: see cassandra_schema
    assert "CLUSTERING ORDER BY (day DESC)" in TABLES["listen_days"].options  # read newest first
    writes = [cql for cql in QUERIES.values() if re.search(r"(INTO|UPDATE) listen(s|_days) ", cql)]
    assert len(writes) == 3
    assert all(cql.endswith(("IF NOT EXISTS", "IF listens < ?")) for cql in writes)


def test_migrations_are_forward_only_and_rerunnable() -> None:
    for version in MIGRATIONS:
        for cql in version:
            assert cql.lstrip().startswith("CREATE TABLE IF NOT EXISTS"), cql
    assert CREATE_VERSION_TABLE.startswith("CREATE TABLE IF NOT EXISTS")


def test_every_statement_parses_with_cqlshs_grammar() -> None:
    """cqlsh ships CQL's grammar (for completion); bind markers become literals, which it cannot lex."""
    cql3handling = pytest.importorskip("cqlshlib.cql3handling", reason="pip install cqlsh to parse the CQL")
    rules = cql3handling.CqlRuleSet
    for cql in (
        create_keyspace(parse_url("cassandra://h/tm")),
        create_keyspace(parse_url("cassandra://h/tm?replication=dc1:3,dc-2:1")),
        CREATE_VERSION_TABLE,
        SELECT_VERSIONS,
        INSERT_VERSION,
        *(statement for version in MIGRATIONS for statement in version),
        *QUERIES.values(),
    ):
        text = " ".join(cql.split()).replace("?", "1") + " ;"
        tokens = rules.cql_massage_tokens(rules.lex(text))
        assert rules.cql_whole_parse_tokens(tokens, srcstr=text) is not None, cql


def test_docs_show_the_schema_and_every_url_parameter() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "cassandra.md").read_text(encoding="utf-8")
    (cql,) = re.findall(r"```sql\n(.*?)```", docs, re.S)
    statements = " ".join(line.split("--")[0] for line in cql.splitlines()).split(";")
    documented = dict(parse_table(s) for s in statements if "CREATE TABLE" in s)
    assert documented == TABLES
    for parameter in PARAMETERS:
        assert f"`{parameter}`" in docs, parameter


# merge on write, without a read
def test_omitted_catalog_fields_are_unset_so_the_stored_value_survives() -> None:
    track = Track(track_id="t", name="T", popularity=0.5, genres=[])
    row = dict(zip(TRACK_COLUMNS, _columns(track, TRACK_COLUMNS), strict=True))
    assert row["track_id"] == "t" and row["popularity"] == 0.5
    assert row["genres"] is UNSET_VALUE and row["artist_id"] is UNSET_VALUE


def test_rows_with_one_key_in_one_call_merge_later_fields_first() -> None:
    merged = _merged(
        [
            Track(track_id="t", name="A", artist_id="a1", genres=["rock"]),
            Track(track_id="u", name="U"),
            Track(track_id="t", name="B", genres=["jazz"], popularity=0.9),
        ],
        "track_id",
    )
    assert merged == [
        Track(track_id="t", name="B", artist_id="a1", genres=["jazz"], popularity=0.9),
        Track(track_id="u", name="U"),
    ]


# URLs
def test_url_with_every_parameter() -> None:
    settings = parse_url(
        "cassandra://db1, db2:9142/tastemaker?dc=eu-west_1&consistency=quorum&serial_consistency=serial"
        "&replication=eu-west_1:3,us-east:2&username=app&password=s%26cret&connect_timeout=0.5&request_timeout=30"
    )
    assert settings == CassandraSettings(
        hosts=("db1", "db2"),
        port=9142,
        keyspace="tastemaker",
        dc="eu-west_1",
        consistency="QUORUM",
        serial_consistency="SERIAL",
        replication="{'class': 'NetworkTopologyStrategy', 'eu-west_1': 3, 'us-east': 2}",
        username="app",
        password="s&cret",
        connect_timeout=0.5,
        request_timeout=30.0,
    )
    assert create_keyspace(settings) == (
        "CREATE KEYSPACE IF NOT EXISTS tastemaker WITH replication = "
        "{'class': 'NetworkTopologyStrategy', 'eu-west_1': 3, 'us-east': 2}"
    )


def test_url_defaults_suit_a_single_development_node() -> None:
    settings = parse_url("cassandra://127.0.0.1/tm")
    assert (settings.hosts, settings.port, settings.keyspace) == (("127.0.0.1",), 9042, "tm")
    assert (settings.dc, settings.consistency, settings.serial_consistency) == (
        "datacenter1",
        "LOCAL_QUORUM",
        "LOCAL_SERIAL",
    )
    assert create_keyspace(settings).endswith("{'class': 'SimpleStrategy', 'replication_factor': 1}")
    assert parse_url("cassandra://h/tm?replication=3").replication == (
        "{'class': 'SimpleStrategy', 'replication_factor': 3}"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql://h/tm", "expected cassandra://"),
        ("cassandra:///tm", "contact points"),
        ("cassandra://user:pw@h/tm", "contact points"),
        ("cassandra://h:99999/tm", "port"),
        ("cassandra://h:x/tm", "port"),
        ("cassandra://h/", "keyspace"),
        ("cassandra://h/Tm", "keyspace"),
        ("cassandra://h/tm;drop", "keyspace"),
        ("cassandra://h/tm?consistency=MOST", "consistency='MOST'; use one of"),
        ("cassandra://h/tm?serial_consistency=QUORUM", "serial_consistency"),
        ("cassandra://h/tm?replication=0", "replication"),
        ("cassandra://h/tm?replication=dc1:3,dc2", "replication"),
        ("cassandra://h/tm?replication=dc'1:3", "replication"),
        ("cassandra://h/tm?dc=a%20b", "dc="),
        ("cassandra://h/tm?username=app", "both username and password"),
        ("cassandra://h/tm?connect_timeout=-1", "connect_timeout"),
        ("cassandra://h/tm?request_timeout=soon", "request_timeout"),
        ("cassandra://h/tm?ttl=3", "unknown parameter.*ttl.*known: dc"),
    ],
)
def test_bad_urls_are_config_errors_saying_what_is_wrong(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_url(url)


def test_url_errors_never_show_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url("cassandra://h/tm?password=hunter2&consistency=MOST&username=u")
    assert "hunter2" not in str(caught.value) and "password=***" in str(caught.value)


# errors
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_cluster_is_backend_unavailable_naming_hosts_quickly() -> None:
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        open_backend(STORES, f"cassandra://127.0.0.1:{port}/tm_test?connect_timeout=1")
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"no host of 127.0.0.1 (port {port}) answered" in message
    assert "check that the cluster is up" in message and "store_url" in message


def test_unresolvable_host_names_are_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match=r"no-such-host\.invalid .*no host name resolves"):
        open_backend(STORES, "cassandra://no-such-host.invalid/tm_test?connect_timeout=1")
