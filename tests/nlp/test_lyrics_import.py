"""Lyrics into the catalog: LRC parsing, files beside scanned audio (a real scan of a real wav), a CSV,
the report, idempotence, and labels merged with what other labelers stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.events.identity import track_id_for
from tastemaker.nlp.lyrics import analyze_lyrics
from tastemaker.nlp.lyrics_files import strip_lrc
from tastemaker.storage.store import Store
from tests.audio_files import write_music

LRC = """[ar:Test Artist]
[ti:Broken]
[length: 03:12]
[00:01.00]I miss you, my heart is broken
[00:05.50][01:10.25]I cry alone every night
[00:09.00]<00:09.00>You <00:09.40>left <00:09.80>me
"""


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


def open_store(data_dir: Path) -> Store:
    store: Store = open_backend(STORES, f"sqlite:///{data_dir}/store.db")
    return store


def test_lrc_time_tags_and_headers_are_stripped() -> None:
    assert strip_lrc(LRC) == "I miss you, my heart is broken\nI cry alone every night\nYou left me"


def test_analyze_lyrics() -> None:
    analysis = analyze_lyrics(strip_lrc(LRC))
    assert analysis.sentiment < 0 and analysis.valence < 0.5
    assert next(iter(analysis.themes)) == "heartbreak"
    assert (analysis.language, analysis.explicit, analysis.lines, analysis.words) == ("en", False, 3, 15)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Two scanned songs (one with lyrics beside it), a lyrics file with no audio, audio not scanned."""
    root = tmp_path / "library" / "Test Artist" / "Album"
    root.mkdir(parents=True)
    write_music(root / "01 Broken.wav", 1.0)
    (root / "01 Broken.lrc").write_text(LRC, encoding="utf-8")
    write_music(root / "02 Quiet.wav", 1.0)
    (root / "03 Orphan.txt").write_text("no audio file has my name", encoding="utf-8")
    (root / ".hidden.lrc").write_text("[00:01.00]hidden", encoding="utf-8")
    return tmp_path / "library"


def test_import_lrc_beside_a_scanned_file_is_idempotent_and_merges_labels(
    tmp_path: Path, library: Path
) -> None:
    data = tmp_path / "data"
    code, _, err = run(data, "scan", "--no-analysis", "--no-progress", str(library))
    assert code == 0, err
    wav = (library / "Test Artist" / "Album" / "01 Broken.wav").resolve()
    store = open_store(data)
    try:
        row = store.get_library_file(str(wav))
        assert row is not None
        track_id = row.track_id
        store.put_labels(track_id, {"genre": {"label": "pop", "source": "audio"}})
    finally:
        store.close()
    later = library / "Test Artist" / "Album" / "04 Later.wav"  # beside lyrics, but never scanned
    write_music(later, 1.0)
    later.with_suffix(".txt").write_text("la la la", encoding="utf-8")

    for _ in range(2):  # the second run stores the same labels again
        code, out, err = run(data, "lyrics", "import", "--json", "--no-progress", str(library))
        assert code == 0, err
        report = json.loads(out)
        assert report["matched"] == 1
        assert sorted(Path(p).name for p in report["unmatched"]) == ["03 Orphan.txt", "04 Later.txt"]
        assert report["failed"] == []
        store = open_store(data)
        try:
            labels = store.get_labels(track_id)
        finally:
            store.close()
        assert labels is not None
        assert labels["genre"] == {"label": "pop", "source": "audio"}  # kept
        lyrics = labels["lyrics"]
        assert next(iter(lyrics["themes"])) == "heartbreak"
        assert lyrics["language"] == "en" and lyrics["lines"] == 3 and lyrics["sentiment"] < 0
        assert lyrics["provenance"]["source"] == "lyrics"
        assert "all-MiniLM-L6-v2" in lyrics["provenance"]["model"]
    assert (data / "nlp-embeddings.sqlite").exists()  # the second run read its vector back from here


def test_import_from_csv_by_artist_and_title_and_by_track_id(tmp_path: Path, library: Path) -> None:
    data = tmp_path / "data"
    code, _, err = run(data, "scan", "--no-analysis", "--no-progress", str(library))
    assert code == 0, err
    store = open_store(data)
    try:
        quiet = store.get_library_file(str((library / "Test Artist" / "Album" / "02 Quiet.wav").resolve()))
        assert quiet is not None
        track = store.get_track(quiet.track_id)
        assert track is not None
    finally:
        store.close()
    by_name = tmp_path / "by_name.csv"
    by_name.write_text(
        "Singer,Song,Text\n"
        f'{track.artist_name},{track.name},"Fuck it, we party all night in the club"\n'
        "Nobody,Unknown Song,some words\n"
        f"{track.artist_name},{track.name},\n",
        encoding="utf-8",
    )
    code, out, err = run(data, "lyrics", "import", "--no-progress", "--csv", str(by_name),
                         "--columns", "Singer,Song,Text")  # fmt: skip
    assert code == 0, err
    assert "1 matched, 1 unmatched, 1 failed" in out
    assert "row 3 (Nobody - Unknown Song)" in out and "row 4: empty lyrics" in out
    assert track_id_for(artist_name=track.artist_name or "", track_name=track.name) == quiet.track_id
    store = open_store(data)
    try:
        labels = store.get_labels(quiet.track_id)
    finally:
        store.close()
    assert labels is not None and labels["lyrics"]["explicit"] is True
    assert next(iter(labels["lyrics"]["themes"])) == "party"

    by_id = tmp_path / "by_id.csv"
    by_id.write_text(f'track_id,lyrics\n{quiet.track_id},"Je t\'aime, mon amour"\n', encoding="utf-8")
    code, out, err = run(data, "lyrics", "import", "--csv", str(by_id))
    assert code == 0, err
    assert "1 matched, 0 unmatched, 0 failed" in out
    assert "lyrics: 100%" in err and "1/1" in err  # the progress bar, on stderr
    store = open_store(data)
    try:
        labels = store.get_labels(quiet.track_id)
    finally:
        store.close()
    assert labels is not None and labels["lyrics"]["language"] == "fr"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give PATH... (folders or lyrics files) or --csv FILE"),
        (["--columns", "a,b", "."], "--columns goes with --csv"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run(tmp_path / "data", "lyrics", "import", *args)
    assert code == 2 and message in err


def test_csv_without_the_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,text\nx,y\n", encoding="utf-8")
    code, _, err = run(tmp_path / "data", "lyrics", "import", "--csv", str(path))
    assert code == 1 and "track_id,lyrics or artist,title,lyrics" in err
    code, _, err = run(tmp_path / "data", "lyrics", "import", "--csv", str(path), "--columns", "name,lyrics")
    assert code == 1 and "no column 'lyrics'" in err
