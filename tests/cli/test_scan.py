"""`tastemaker scan`: the summary on stdout, failures listed by kind, usage errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.storage.store import Store
from tests.catalog.test_scan import make_library


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "scan", *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    make_library(root)
    return root


def test_scan_prints_a_summary_with_failures_by_kind(tmp_path: Path, library: Path) -> None:
    code, out, err = run(tmp_path, str(library), "--jobs", "2", "--no-progress")
    assert code == 0, err
    assert "7 audio files: 7 new, 0 changed, 0 unchanged (skipped)" in out
    assert "analysed 3, failed 4" in out and "files/s" in out and "2 workers" in out
    for kind, name in (("corrupt", "corrupt.mp3"), ("empty", "empty.ogg"), ("not_audio", "notes.flac")):
        assert f"  {kind}: 1\n    {library / name}: " in out
    store: Store = open_backend(STORES, f"sqlite:///{tmp_path}/data/store.db")
    try:
        assert store.get_library_file(str(library / "Loose Artist - Loose Song.mp3")) is not None
    finally:
        store.close()
    code, out, _ = run(tmp_path, str(library), "--json", "--no-progress")
    assert code == 0
    report = json.loads(out)
    assert (report["seen"], report["unchanged"], report["analysed"], report["failed"]) == (7, 7, 0, 0)


def test_no_analysis_flag_and_the_progress_bar_on_stderr(tmp_path: Path, library: Path) -> None:
    code, out, err = run(tmp_path, str(library), "--no-analysis", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["catalogued"], report["analysed"], report["workers"]) == (7, 0, 0)
    assert "scan: 100%" in err and "7/7" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/folder"], "'no/such/folder' does not exist"),
        ([], "Missing argument 'DIR...'"),
        (["--jobs", "-1", "."], "-1 is not in the range x>=0"),
    ],
)
def test_usage_errors_exit_2_with_the_reason(tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = run(tmp_path, *args)
    assert code == 2 and out == ""
    assert message in err
