"""`tastemaker analyze`: real files (wav, mp3, a corrupt one, a missing one) through the real command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tastemaker.audio.model import AudioAnalysis, AudioFeatures
from tastemaker.cli import cli
from tests.audio_files import write_music

FEATURES = {f for f in AudioFeatures.__struct_fields__}
UNIT_RANGE = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "speechiness",
    "valence",
)
SECONDS = 8.0


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("analyze")
    corrupt = folder / "corrupt.wav"
    corrupt.write_bytes(b"RIFF" + bytes(range(256)) * 8)  # a wav signature, then nothing a decoder reads
    return {
        "wav": write_music(folder / "beat.wav", SECONDS, bpm=120.0, tonic=0),
        "mp3": write_music(folder / "beat.mp3", SECONDS, bpm=100.0, tonic=7, minor=True),
        "corrupt": corrupt,
        "missing": folder / "missing.flac",
    }


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "analyze", *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


def check_features(features: dict[str, Any]) -> None:
    assert set(features) == FEATURES
    for name in UNIT_RANGE:
        assert 0.0 <= features[name] <= 1.0, (name, features[name])
    assert -1 <= features["key"] <= 11 and features["mode"] in (0, 1)
    assert 3 <= features["time_signature"] <= 7 and features["tempo"] > 0
    assert -60.0 <= features["loudness"] <= 0.0
    assert abs(features["duration_ms"] - SECONDS * 1000) < 150  # mp3 adds encoder padding


def test_json_one_line_per_file_in_order_and_a_failure_stops_nothing(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    order = ["corrupt", "wav", "missing", "mp3"]
    code, out, err = run(tmp_path, "--json", *(str(files[name]) for name in order))
    assert code == 1, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["file"] for line in lines] == [str(files[name]) for name in order]
    corrupt, wav, missing, mp3 = lines
    assert set(corrupt) == {"file", "error"} and corrupt["error"]["kind"] == "corrupt"
    assert missing["error"] == {"kind": "not_found", "message": "no such file"}
    for line in (wav, mp3):
        assert set(line) == {"file", "audio_features"}
        check_features(line["audio_features"])
    assert err == ""  # with --json, stdout says it all and stays parseable


def test_json_with_analysis_carries_spotify_analysis_object(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out, err = run(tmp_path, "--json", "--analysis", str(files["wav"]))
    assert code == 0, err
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert set(line) == {"file", "audio_features", "audio_analysis"}
    analysis = line["audio_analysis"]
    assert set(analysis) == set(AudioAnalysis.__struct_fields__)
    assert set(analysis) == {"meta", "track", "bars", "beats", "tatums", "sections", "segments"}
    assert analysis["beats"] and analysis["segments"]
    assert len(analysis["segments"][0]["pitches"]) == 12 and len(analysis["segments"][0]["timbre"]) == 12
    assert abs(analysis["track"]["duration"] - SECONDS) < 0.1


def test_table_on_stdout_errors_on_stderr(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out, err = run(tmp_path, str(files["wav"]), str(files["missing"]), str(files["mp3"]))
    assert code == 1
    assert str(files["wav"]) in out and str(files["mp3"]) in out and str(files["missing"]) not in out
    for name in FEATURES - {"algorithm_version"}:
        assert out.count(f"  {name} ") == 2, name
    assert "BPM" in out and " dB" in out
    assert f"error: {files['missing']}: not found: no such file" in err
    assert "1 of 3 files could not be analysed" in err


def test_table_with_analysis_summarises_it(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out, err = run(tmp_path, "--analysis", str(files["wav"]))
    assert code == 0, err
    assert "analysis:" in out and " beats" in out and " segments" in out and "confidence: tempo" in out
    assert err == ""


def test_folder_is_a_per_file_error(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out, _ = run(tmp_path, "--json", str(files["wav"].parent))
    assert code == 1
    error = json.loads(out)["error"]
    assert error["kind"] == "not_audio" and "tastemaker scan" in error["message"]


def test_no_files_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = run(tmp_path)
    assert code == 2 and out == ""
    assert "Missing argument 'FILE...'" in err
