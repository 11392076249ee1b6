"""The Store contract, run against every backend (``store`` and ``store_url`` come from conftest.py).

Server-backed stores are shared between tests and runs, so every test builds its ids from ``ns``,
a fresh prefix, rather than assuming an empty database. SQLite-only behaviour (URL forms, file
corruption, lock timeouts, schema versions) is tested at the end of this file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tastemaker.backends import STORES, open_backend
from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User
from tastemaker.storage.sqlite_schema import LATEST_VERSION, MIGRATIONS
from tastemaker.storage.sqlite_store import SQLiteStore
from tastemaker.storage.store import Store

DAY = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def ns() -> str:
    return uuid.uuid4().hex[:10]


def listen(user_id: str, event_id: str, ts: datetime, track_id: str = "t1") -> Listen:
    return Listen(user_id=user_id, event_id=event_id, ts=ts, track_id=track_id, ms_played=1000)


def listens_of(
    user_id: str, count: int, *, start: datetime = DAY, step: timedelta = timedelta(minutes=1)
) -> list[Listen]:
    return [listen(user_id, f"e{i}", start + i * step) for i in range(count)]


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


# catalog
def test_tracks_round_trip(store: Store, ns: str) -> None:
    tracks = [
        Track(track_id=f"{ns}-t{i}", name=f"Song {i}", genres=["rock"], duration_ms=i) for i in range(1200)
    ]
    store.put_tracks(tracks)
    assert store.get_track(f"{ns}-t7") == tracks[7]
    assert store.get_track(f"{ns}-missing") is None
    wanted = [t.track_id for t in tracks] + [f"{ns}-missing", f"{ns}-t3"]
    assert store.get_tracks(wanted) == {t.track_id: t for t in tracks}
    assert store.get_tracks([]) == {}


def test_put_tracks_merges_with_stored_row(store: Store, ns: str) -> None:
    tid = f"{ns}-t"
    store.put_tracks([Track(track_id=tid, name="Old", artist_id="a1", genres=["rock"], popularity=0.5)])
    store.put_tracks([Track(track_id=tid, name="New", album_id="b1", popularity=0.9)])
    assert store.get_track(tid) == Track(
        track_id=tid, name="New", artist_id="a1", album_id="b1", genres=["rock"], popularity=0.9
    )
    store.put_tracks(
        [Track(track_id=tid, name="New", genres=["jazz", "soul"]), Track(track_id=tid, name="Last")]
    )
    assert store.get_track(tid) == Track(
        track_id=tid, name="Last", artist_id="a1", album_id="b1", genres=["jazz", "soul"], popularity=0.9
    )


def test_track_audio_url_survives_a_merge_without_it(store: Store, ns: str) -> None:
    tid = f"{ns}-t"
    store.put_tracks([Track(track_id=tid, name="T", audio_url="/music/T.flac")])
    store.put_tracks([Track(track_id=tid, name="T", genres=["folk"])])  # e.g. the archiver's row
    assert store.get_track(tid) == Track(track_id=tid, name="T", genres=["folk"], audio_url="/music/T.flac")


def test_artists_and_albums_round_trip_and_merge(store: Store, ns: str) -> None:
    store.put_artists([Artist(artist_id=f"{ns}-a", name="A", genres=["pop"], mbid="m1")])
    store.put_artists([Artist(artist_id=f"{ns}-a", name="A2")])
    assert store.get_artist(f"{ns}-a") == Artist(artist_id=f"{ns}-a", name="A2", genres=["pop"], mbid="m1")
    store.put_albums([Album(album_id=f"{ns}-b", name="B", artist_id="a", release_date="2020")])
    store.put_albums([Album(album_id=f"{ns}-b", name="B", artist_name="Art")])
    assert store.get_album(f"{ns}-b") == Album(
        album_id=f"{ns}-b", name="B", artist_id="a", artist_name="Art", release_date="2020"
    )
    assert store.get_artist(f"{ns}-none") is None
    assert store.get_album(f"{ns}-none") is None


def test_empty_batches_are_no_ops(store: Store) -> None:
    store.put_tracks([])
    store.put_artists([])
    store.put_albums([])
    store.put_profiles({})
    assert store.add_listens([]) == 0
    assert store.get_profiles([]) == {}


# listening history
def test_add_listens_counts_only_new_ones(store: Store, ns: str) -> None:
    first = listens_of(ns, 5)
    assert store.add_listens(first) == 5
    assert store.add_listens(first) == 0
    more = listens_of(ns, 8)
    assert store.add_listens([*more, *more]) == 3
    assert store.listen_days(ns) == [(date(2025, 1, 1), 8)]
    assert len(store.listens(ns, date(2025, 1, 1))) == 8


def test_listens_newest_first_within_one_user_and_day(store: Store, ns: str) -> None:
    batch = [
        listen(ns, "b", DAY + timedelta(hours=2)),
        listen(ns, "a", DAY + timedelta(hours=9)),
        listen(ns, "c", DAY + timedelta(hours=1)),
        listen(ns, "late", DAY + timedelta(days=1)),
        listen(f"{ns}-other", "x", DAY + timedelta(hours=3)),
    ]
    store.add_listens(batch)
    assert [x.event_id for x in store.listens(ns, DAY.date())] == ["a", "b", "c"]
    assert store.listens(ns, DAY.date())[0] == batch[1]
    assert store.listens(ns, date(2024, 12, 31)) == []
    assert store.listens(f"{ns}-nobody", DAY.date()) == []


def test_listen_days_newest_first_with_counts(store: Store, ns: str) -> None:
    store.add_listens(listens_of(ns, 50, step=timedelta(hours=7)))
    days = store.listen_days(ns)
    assert [d for d, _ in days] == sorted(
        {(DAY + i * timedelta(hours=7)).date() for i in range(50)}, reverse=True
    )
    assert sum(n for _, n in days) == 50
    assert days[-1] == (date(2025, 1, 1), 4)  # 0, 7, 14, 21 h
    assert store.listen_days(f"{ns}-nobody") == []


def test_day_is_the_utc_date_of_ts(store: Store, ns: str) -> None:
    pacific = timezone(timedelta(hours=-8))
    evening = datetime(2025, 1, 1, 20, 0, tzinfo=pacific)  # 2025-01-02 04:00 UTC
    store.add_listens([listen(ns, "e", evening)])
    assert store.listen_days(ns) == [(date(2025, 1, 2), 1)]
    assert [x.ts for x in store.listens(ns, date(2025, 1, 2))] == [evening]


# profiles
def test_profiles_batch_upsert_and_multi_get(store: Store, ns: str) -> None:
    profiles = {f"{ns}-u{i}": bytes([i % 256]) * (i + 1) for i in range(2000)}
    store.put_profiles(profiles)
    store.put_profiles({f"{ns}-u1": b"new", f"{ns}-extra": b"\x00\xff"})
    assert store.get_profile(f"{ns}-u1") == b"new"
    assert store.get_profile(f"{ns}-u2") == profiles[f"{ns}-u2"]
    assert store.get_profile(f"{ns}-missing") is None
    got = store.get_profiles([*profiles, f"{ns}-extra", f"{ns}-missing"])
    assert got == {**profiles, f"{ns}-u1": b"new", f"{ns}-extra": b"\x00\xff"}


# playlists
def test_playlists_by_user_and_kind(store: Store, ns: str) -> None:
    when = datetime(2025, 1, 6, tzinfo=UTC)
    weekly = Playlist(
        user_id=ns, kind="weekly", playlist_id="w1", name="DW", track_ids=["t1", "t2"], updated_at=when
    )
    mix1 = Playlist(
        user_id=ns, kind="mix", playlist_id="m1", name="Mix 1", extra={"cluster": 3, "genres": ["a"]}
    )
    mix2 = Playlist(user_id=ns, kind="mix", playlist_id="m2", name="Mix 2", description="chill")
    other = Playlist(user_id=f"{ns}-b", kind="mix", playlist_id="m1", name="Theirs")
    store.put_playlists([weekly])
    store.put_playlists([mix2, mix1, other])  # one batch across users and kinds
    assert store.get_playlists(ns, "weekly") == [weekly]
    assert sorted(store.get_playlists(ns, "mix"), key=lambda p: p.playlist_id) == [mix1, mix2]
    assert store.get_playlists(f"{ns}-b", "mix") == [other]
    assert store.get_playlists(ns, "dj") == []
    renamed = Playlist(user_id=ns, kind="weekly", playlist_id="w1", name="DW 2", track_ids=["t9"])
    store.put_playlists([renamed])
    store.put_playlists([])
    assert store.get_playlists(ns, "weekly") == [renamed]


# content intelligence
def test_features_and_labels(store: Store, ns: str) -> None:
    features = {"tempo": 120.5, "key": 5, "mode": 1, "segments": [[0.0, 0.5], [0.5, 1.25]]}
    labels = {"genre": [{"value": "jazz", "confidence": 0.8, "source": "audio"}]}
    store.put_features(f"{ns}-t", features)
    store.put_labels(f"{ns}-t", labels)
    assert store.get_features(f"{ns}-t") == features
    assert store.get_labels(f"{ns}-t") == labels
    store.put_features(f"{ns}-t", {"tempo": 90.0})
    assert store.get_features(f"{ns}-t") == {"tempo": 90.0}
    store.put_features(f"{ns}-u", {"tempo": 60.0})
    many = store.get_features_many([f"{ns}-t", f"{ns}-none", f"{ns}-u", f"{ns}-t"])
    assert many == {f"{ns}-t": {"tempo": 90.0}, f"{ns}-u": {"tempo": 60.0}}
    assert store.get_features_many([]) == {}
    assert store.get_labels(f"{ns}-t") == labels
    assert store.get_features(f"{ns}-none") is None
    assert store.get_labels(f"{ns}-none") is None
    store.put_labels(f"{ns}-u", {"annotations": {"mood": {"value": "chill", "confidence": 0.5}}})
    assert store.get_labels_many([f"{ns}-u", f"{ns}-none", f"{ns}-t", f"{ns}-u"]) == {
        f"{ns}-t": labels,
        f"{ns}-u": {"annotations": {"mood": {"value": "chill", "confidence": 0.5}}},
    }
    assert store.get_labels_many([]) == {}


def test_recaps_by_user_and_year_replaced_whole(store: Store, ns: str) -> None:
    store.put_recaps(2024, {f"{ns}-a": b'{"year":2024}', f"{ns}-b": b"{}"})
    store.put_recaps(2025, {f"{ns}-a": b'{"year":2025}'})
    store.put_recaps(2025, {f"{ns}-a": b'{"year":2025,"again":true}'})
    store.put_recaps(2025, {})
    assert store.get_recap(f"{ns}-a", 2024) == b'{"year":2024}'
    assert store.get_recap(f"{ns}-a", 2025) == b'{"year":2025,"again":true}'
    assert store.get_recap(f"{ns}-b", 2025) is None
    assert store.get_recap(f"{ns}-missing", 2024) is None


def test_analyses_are_opaque_bytes_replaced_whole(store: Store, ns: str) -> None:
    blob = bytes(range(256)) * 40  # every byte value, NULs included: compressed data looks like this
    store.put_analysis(f"{ns}-t", blob)
    store.put_analysis(f"{ns}-u", b"\x00")
    assert store.get_analysis(f"{ns}-t") == blob
    assert store.get_analysis(f"{ns}-u") == b"\x00"
    store.put_analysis(f"{ns}-t", b"shorter")
    assert store.get_analysis(f"{ns}-t") == b"shorter"
    assert store.get_analysis(f"{ns}-none") is None
    assert store.get_features(f"{ns}-t") is None  # analyses and features are separate tables


# library scans
def test_library_files_round_trip_and_replace_whole_rows(store: Store, ns: str) -> None:
    when = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    done = LibraryFile(
        path=f"/music/{ns}/ä b/01 One.flac",
        size=1234,
        mtime_ns=1_700_000_000_123_456_789,
        track_id=f"{ns}-t1",
        algorithm_version="v1",
        scanned_at=when,
    )
    failed = LibraryFile(path=f"/music/{ns}/bad.mp3", size=0, mtime_ns=1, track_id=f"{ns}-t2", error="empty")
    store.put_library_files([done, failed])
    assert store.get_library_file(done.path) == done
    assert store.get_library_file(failed.path) == failed
    assert store.get_library_file(f"/music/{ns}/missing.ogg") is None
    # a re-scan replaces the whole row: a fixed file loses its error, a changed one its version
    fixed = LibraryFile(path=failed.path, size=99, mtime_ns=2, track_id=f"{ns}-t2", algorithm_version="v2")
    changed = LibraryFile(path=done.path, size=1300, mtime_ns=5, track_id=f"{ns}-t1")
    store.put_library_files([fixed, changed])
    assert store.get_library_file(failed.path) == fixed
    assert store.get_library_file(done.path) == changed
    store.put_library_files([])


# accounts
def test_users_and_tokens(store: Store, ns: str) -> None:
    alice = User(name=f"{ns}-alice", token_hash=f"{ns}-h1", admin=True, created_at=DAY)
    bob = User(name=f"{ns}-bob", token_hash=f"{ns}-h2")
    store.put_user(alice)
    store.put_user(bob)
    assert store.get_user(alice.name) == alice
    assert store.user_for_token_hash(f"{ns}-h1") == alice
    assert store.user_for_token_hash(f"{ns}-h2") == bob
    assert store.user_for_token_hash(f"{ns}-nope") is None
    assert store.get_user(f"{ns}-carol") is None


def test_replacing_a_users_token_invalidates_the_old_one(store: Store, ns: str) -> None:
    store.put_user(User(name=ns, token_hash=f"{ns}-old"))
    store.put_user(User(name=ns, token_hash=f"{ns}-new"))
    assert store.user_for_token_hash(f"{ns}-old") is None
    assert store.user_for_token_hash(f"{ns}-new") == User(name=ns, token_hash=f"{ns}-new")
    store.put_user(User(name=ns, token_hash=f"{ns}-new", admin=True))
    assert store.user_for_token_hash(f"{ns}-new") == User(name=ns, token_hash=f"{ns}-new", admin=True)


def test_delete_user(store: Store, ns: str) -> None:
    store.put_user(User(name=ns, token_hash=f"{ns}-h"))
    assert store.delete_user(ns) is True
    assert store.get_user(ns) is None
    assert store.user_for_token_hash(f"{ns}-h") is None
    assert store.delete_user(ns) is False


def test_forget_user_deletes_every_row_of_the_user_and_nothing_else(store: Store, ns: str) -> None:
    gone, kept = f"{ns}-gone", f"{ns}-kept"
    for user in (gone, kept):
        store.put_user(User(name=user, token_hash=f"{user}-h"))
        store.add_listens(listens_of(user, 5, step=timedelta(hours=10)))
        store.put_profiles({user: b"profile"})
        store.put_playlists(
            [Playlist(user_id=user, kind=k, playlist_id="p", name="n") for k in ("liked", "user")]
        )
        store.put_recaps(2024, {user: b"{}"})
        store.put_recaps(2025, {user: b"{}"})
    counts = store.forget_user(gone)
    assert counts["listens"] == 5 and counts["profiles"] == 1 and counts["users"] == 1
    assert counts["playlists"] >= 1 and counts["recaps"] >= 1  # rows (partitions on Cassandra)
    assert store.listen_days(gone) == [] and store.listens(gone, DAY.date()) == []
    assert store.get_profile(gone) is None and store.get_recap(gone, 2024) is None
    assert store.get_playlists(gone, "liked") == [] and store.get_playlists(gone, "user") == []
    assert store.get_user(gone) is None and store.user_for_token_hash(f"{gone}-h") is None
    assert sum(n for _day, n in store.listen_days(kept)) == 5 and store.get_profile(kept) == b"profile"
    assert store.get_recap(kept, 2025) == b"{}" and len(store.get_playlists(kept, "user")) == 1
    assert store.user_for_token_hash(f"{kept}-h") is not None
    assert not any(store.forget_user(gone).values())  # idempotent
    store.add_listens(listens_of(gone, 2))  # the same event ids start a new history
    assert sum(n for _day, n in store.listen_days(gone)) == 2


# durability and concurrency
def test_data_survives_close_and_reopen(store_url: str, ns: str) -> None:
    first: Store = open_backend(STORES, store_url)
    first.put_tracks([Track(track_id=f"{ns}-t", name="T")])
    first.add_listens(listens_of(ns, 3))
    first.put_profiles({ns: b"p"})
    first.put_playlists([Playlist(user_id=ns, kind="mix", playlist_id="m", name="M")])
    first.put_features(f"{ns}-t", {"energy": 0.5})
    first.put_labels(f"{ns}-t", {"mood": "calm"})
    first.put_user(User(name=ns, token_hash=f"{ns}-h"))
    first.put_analysis(f"{ns}-t", b"\x78\x9c analysis")
    first.put_library_files([LibraryFile(path=f"/m/{ns}.mp3", size=3, mtime_ns=4, track_id=f"{ns}-t")])
    first.close()
    again: Store = open_backend(STORES, store_url)
    try:
        assert again.get_track(f"{ns}-t") == Track(track_id=f"{ns}-t", name="T")
        assert again.listen_days(ns) == [(date(2025, 1, 1), 3)]
        assert again.add_listens(listens_of(ns, 3)) == 0
        assert again.get_profile(ns) == b"p"
        assert [p.name for p in again.get_playlists(ns, "mix")] == ["M"]
        assert again.get_features(f"{ns}-t") == {"energy": 0.5}
        assert again.get_labels(f"{ns}-t") == {"mood": "calm"}
        assert again.user_for_token_hash(f"{ns}-h") == User(name=ns, token_hash=f"{ns}-h")
        assert again.get_analysis(f"{ns}-t") == b"\x78\x9c analysis"
        assert again.get_library_file(f"/m/{ns}.mp3") == LibraryFile(
            path=f"/m/{ns}.mp3", size=3, mtime_ns=4, track_id=f"{ns}-t"
        )
    finally:
        again.close()


def test_concurrent_writers_in_threads_lose_nothing(store: Store, ns: str) -> None:
    added: list[int] = []
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for batch in range(10):
                own = [
                    listen(f"{ns}-w{worker}", f"e{batch}-{i}", DAY + timedelta(seconds=batch * 50 + i))
                    for i in range(50)
                ]
                shared = listens_of(f"{ns}-shared", 100, step=timedelta(hours=1))  # every thread, same events
                added.append(store.add_listens(own + shared))
                assert store.listen_days(f"{ns}-w{worker}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(added) == 8 * 500 + 100
    for worker in range(8):
        assert store.listen_days(f"{ns}-w{worker}") == [(date(2025, 1, 1), 500)]
    assert sum(n for _, n in store.listen_days(f"{ns}-shared")) == 100


WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from tastemaker.backends import STORES, open_backend
from tastemaker.storage.models import Listen
url, ns, name = sys.argv[1:4]
store = open_backend(STORES, url)
day = datetime(2025, 3, 1, tzinfo=UTC)
print("ready", flush=True)
sys.stdin.readline()  # start together, so the writes really interleave
added = 0
for batch in range(40):
    for user in (f"{ns}-{name}", f"{ns}-shared"):
        listens = []
        for i in range(25):
            ts = day + timedelta(seconds=25 * batch + i)
            listens.append(Listen(user_id=user, event_id=f"e{batch}-{i}", ts=ts, track_id="t"))
        added += store.add_listens(listens)
store.close()
print(added, flush=True)
"""


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing(store_url: str, ns: str) -> None:
    open_backend(STORES, store_url).close()  # create the schema before the race starts
    with contextlib.ExitStack() as stack:
        procs = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, store_url, ns, name],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in ("p1", "p2")
        ]
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    assert sum(int(out) for out in outputs) == 3 * 1000
    reopened: Store = open_backend(STORES, store_url)
    try:
        for user in ("p1", "p2", "shared"):
            assert reopened.listen_days(f"{ns}-{user}") == [(date(2025, 3, 1), 1000)]
    finally:
        reopened.close()


USERS = st.sampled_from(["a", "b", "c"])
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))])
EVENTS = st.dictionaries(
    st.tuples(USERS, st.text("xyz01", min_size=1, max_size=3)),
    st.datetimes(datetime(2024, 12, 30), datetime(2025, 1, 3), timezones=ZONES),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS, data=st.data())
def test_add_listens_is_idempotent_on_user_and_event_id(
    store: Store, events: dict[tuple[str, str], datetime], data: st.DataObject
) -> None:
    ns = uuid.uuid4().hex[:10]  # one namespace per example: the store is shared by all of them
    keys = sorted(events)
    batches = data.draw(st.lists(st.lists(st.sampled_from(keys), max_size=12), min_size=1, max_size=6))
    added = sum(
        store.add_listens([listen(f"{ns}-{u}", e, events[u, e]) for u, e in batch]) for batch in batches
    )
    written = {key for batch in batches for key in batch}
    assert added == len(written)
    for user in ("a", "b", "c"):
        mine = {e: events[u, e] for u, e in written if u == user}
        per_day = Counter(ts.astimezone(UTC).date() for ts in mine.values())
        assert store.listen_days(f"{ns}-{user}") == sorted(per_day.items(), reverse=True)
        for day in per_day:
            stored = store.listens(f"{ns}-{user}", day)
            newest_first = sorted(
                (e for e, ts in mine.items() if ts.astimezone(UTC).date() == day),
                key=lambda e: ((mine[e] - DAY) // timedelta(milliseconds=1), e),
                reverse=True,
            )
            assert {x.event_id for x in stored} == set(newest_first)
            assert [x.ts for x in stored] == [mine[e] for e in newest_first]


# SQLite only: URLs, files, locks and schema versions
def test_sqlite_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteStore.from_url("sqlite:///rel/deeper/store.db") as relative:
        assert relative.path == Path("rel/deeper/store.db")
    assert (tmp_path / "rel/deeper/store.db").is_file()
    with SQLiteStore.from_url(
        f"sqlite:///{tmp_path}/abs.db?synchronous=normal&busy_timeout_ms=5"
    ) as absolute:
        assert absolute.path == tmp_path / "abs.db"
        assert absolute._writer.execute("PRAGMA synchronous").fetchone() == (1,)
        assert absolute._writer.execute("PRAGMA busy_timeout").fetchone() == (5,)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://host/x.db",
        "sqlite:///",
        "sqlite:///x.db?synchronous=fast",
        "sqlite:///x.db?busy_timeout_ms=-1",
        "sqlite:///x.db?cache=1",
    ],
)
def test_sqlite_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="sqlite"):
        SQLiteStore.from_url(url)


def test_sqlite_defaults_to_wal_and_full_sync(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store._writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert store._writer.execute("PRAGMA synchronous").fetchone() == (2,)
        versions = store._writer.execute("SELECT version FROM store_schema_version").fetchall()
        assert versions == [(v,) for v in range(1, LATEST_VERSION + 1)]


def test_sqlite_version_1_file_is_migrated_forward_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE store_schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO store_schema_version VALUES (1, 'then')")
    conn.execute("""INSERT INTO tracks VALUES ('t', '{"track_id":"t","name":"Old"}')""")
    conn.close()
    with SQLiteStore(path) as store:
        assert store.get_track("t") == Track(track_id="t", name="Old")
        store.put_analysis("t", b"a")
        store.put_library_files([LibraryFile(path="/x.mp3", size=1, mtime_ns=1, track_id="t")])
        assert store.get_analysis("t") == b"a"
        versions = store._writer.execute("SELECT version FROM store_schema_version").fetchall()
        assert versions == [(v,) for v in range(1, LATEST_VERSION + 1)]


def test_sqlite_corrupt_file_is_backend_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(b"this is not a database, just garbage " * 200)
    with pytest.raises(BackendUnavailable, match=r"store\.db.*not a readable"):
        SQLiteStore(path)


def test_sqlite_newer_schema_is_backend_unavailable(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("INSERT INTO store_schema_version VALUES (999, 'future')")
    conn.close()
    with pytest.raises(BackendUnavailable, match="newer"):
        SQLiteStore(tmp_path / "s.db")


def test_sqlite_lock_timeout_is_backend_unavailable(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db", busy_timeout_ms=50) as store:
        blocker = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with pytest.raises(BackendUnavailable, match=r"s\.db.*locked.*50 ms"):
                store.add_listens(listens_of("u", 1))
            assert store.listen_days("u") == []  # reads still work under a writer
            blocker.execute("ROLLBACK")
        finally:
            blocker.close()
        assert store.add_listens(listens_of("u", 1)) == 1


def test_sqlite_closed_store_refuses_work_and_closes_reader_threads(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    for _ in range(5):
        thread = threading.Thread(target=store.get_track, args=("t",))
        thread.start()
        thread.join()
    assert len(store._readers) <= 1  # readers of ended threads are closed as new ones open
    store.close()
    store.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        store.get_track("t")


def test_sqlite_replacing_a_token_removes_its_row(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        for token_hash in ("h1", "h2", "h3"):
            store.put_user(User(name="u", token_hash=token_hash))
        assert store._writer.execute("SELECT * FROM user_tokens").fetchall() == [("h3", "u")]
        store.delete_user("u")
        assert store._writer.execute("SELECT * FROM user_tokens").fetchall() == []
