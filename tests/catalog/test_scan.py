"""Library scans on real files: catalog rows from tags or names, features stored, failures reported by
kind, and the incremental rules (unchanged skipped; touched, re-versioned or forced files redone)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import mutagen
import numpy as np
import pytest

from tastemaker.audio import model
from tastemaker.audio.records import load_analysis, load_features
from tastemaker.catalog.scan import scan
from tastemaker.events.identity import album_id_for, artist_id_for, track_id_for
from tastemaker.storage.sqlite_store import SQLiteStore
from tests.audio_files import write_music

GOOD = ("Tagged/x/01 wrong name.flac", "Nina/Blue Album/02 - Night Song.ogg", "Loose Artist - Loose Song.mp3")
BAD = {
    "corrupt.mp3": "corrupt",
    "empty.ogg": "empty",
    "notes.flac": "not_audio",
    "cut/truncated.flac": "truncated",
}


def make_library(root: Path, *, good: int = 3, seconds: float = 4.0) -> list[Path]:
    """``good`` real files (the first three as in GOOD, then more untagged ones) plus the BAD ones."""
    paths = [root / name for name in GOOD] + [
        root / f"More/Set/{i:02d} Extra {i}.ogg" for i in range(3, good)
    ]
    for i, path in enumerate(paths[:good]):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_music(path, seconds, bpm=90 + 7 * i, tonic=i % 12, seed=i)
    tags = mutagen.File(paths[0], easy=True)
    tags.update(
        {
            "title": "Real Title",
            "artist": "Real Artist",
            "album": "Real Album",
            "albumartist": "Various Artists",
            "date": "2019-04-05",
            "genre": ["Jazz; Soul"],
            "isrc": "USRC17607839",
        }
    )
    tags.save()
    rng = np.random.default_rng(7)
    (root / "corrupt.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + rng.bytes(20_000))
    (root / "empty.ogg").write_bytes(b"")
    (root / "notes.flac").write_text("these are not the notes you are looking for\n" * 50)
    (root / "cut").mkdir()
    whole = write_music(root / "cut" / "truncated.flac", 6.0).read_bytes()
    (root / "cut" / "truncated.flac").write_bytes(whole[: len(whole) // 3])  # a download cut short
    (root / "README.txt").write_text("not audio, not looked at")
    (root / ".hidden.mp3").write_bytes(b"never looked at")
    return paths[:good]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_library(tmp_path_factory.mktemp("library"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "store.db") as opened:
        yield opened


def test_scan_catalogs_analyses_and_reports_failures(library: list[Path], store: SQLiteStore) -> None:
    root = library[2].parent
    report = scan(store, [root], jobs=2, progress=False)
    assert (report.seen, report.new, report.unchanged) == (7, 7, 0)
    assert (report.analysed, report.failed) == (3, 4)
    assert dict(report.failures) == {"corrupt": 1, "empty": 1, "not_audio": 1, "truncated": 1}
    for name, kind in BAD.items():
        assert any(e.startswith(str(root / name)) for e in report.examples[kind]), report.examples
        row = store.get_library_file(str(root / name))
        assert row is not None and row.error is not None and row.error.startswith(f"{kind}: ")
    assert "corrupt: 1" in report.summary() and str(root / "empty.ogg") in report.summary()

    tagged = store.get_track(track_id_for(artist_name="Real Artist", track_name="Real Title"))
    assert tagged is not None and tagged.audio_url == str(library[0])
    assert (tagged.album_name, tagged.release_date, tagged.genres) == (
        "Real Album",
        "2019-04-05",
        ["jazz", "soul"],
    )
    assert tagged.isrc == "USRC17607839" and tagged.duration_ms == 4000
    assert tagged.album_id == album_id_for(artist_name="Various Artists", album_name="Real Album")
    album = store.get_album(tagged.album_id)
    assert album is not None and album.artist_name == "Various Artists"
    from_folders = store.get_track(track_id_for(artist_name="Nina", track_name="Night Song"))
    assert from_folders is not None and from_folders.album_name == "Blue Album"
    from_name = store.get_track(track_id_for(artist_name="Loose Artist", track_name="Loose Song"))
    assert from_name is not None and store.get_artist(artist_id_for("Loose Artist")) is not None

    for track in (tagged, from_folders, from_name):
        features = load_features(store, track.track_id)
        assert features is not None and 3900 <= features.duration_ms <= 4100
        stored = store.get_features(track.track_id)
        assert stored is not None and stored["algorithm_version"] == model.ALGORITHM_VERSION
        assert load_analysis(store, track.track_id) is not None
        row = store.get_library_file(str(track.audio_url))
        assert row is not None and row.error is None and row.algorithm_version == model.ALGORITHM_VERSION


def test_rescan_skips_unchanged_and_redoes_touched_reversioned_and_forced(
    library: list[Path], store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = library[2].parent
    scan(store, [root], jobs=2, progress=False)
    again = scan(store, [root], jobs=2, progress=False)
    assert (again.seen, again.unchanged, again.analysed, again.failed) == (7, 7, 0, 0)

    stat = library[1].stat()
    os.utime(library[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = scan(store, [root], jobs=1, progress=False)
    assert (touched.changed, touched.unchanged, touched.analysed, touched.failed) == (1, 6, 1, 0)

    monkeypatch.setattr(model, "ALGORITHM_VERSION", "tm-audio-next")
    reversioned = scan(store, [root], jobs=2, progress=False)
    assert (reversioned.changed, reversioned.analysed, reversioned.failed) == (
        7,
        3,
        4,
    )  # failures retried too
    assert scan(store, [root], jobs=2, progress=False).unchanged == 7

    forced = scan(store, [root], jobs=2, force=True, progress=False)
    assert (forced.changed, forced.unchanged, forced.analysed, forced.failed) == (7, 0, 3, 4)


def test_no_analysis_catalogs_now_and_a_later_scan_analyses(library: list[Path], store: SQLiteStore) -> None:
    root = library[2].parent
    first = scan(store, [root], analysis=False, progress=False)
    assert (first.catalogued, first.analysed, first.failed, first.workers) == (7, 0, 0, 0)
    track_id = track_id_for(artist_name="Loose Artist", track_name="Loose Song")
    assert store.get_track(track_id) is not None and store.get_features(track_id) is None
    assert scan(store, [root], analysis=False, progress=False).unchanged == 7
    second = scan(store, [root], jobs=2, progress=False)
    assert (second.changed, second.analysed, second.failed) == (7, 3, 4)
    assert load_features(store, track_id) is not None


def test_a_single_file_and_overlapping_roots_count_each_file_once(
    library: list[Path], store: SQLiteStore
) -> None:
    root = library[2].parent
    report = scan(store, [library[2], root / "Nina", root / "Nina" / "Blue Album"], jobs=1, progress=False)
    assert (report.seen, report.analysed) == (2, 2)
