"""Features and analysis on signals whose tempo and key are known by construction, and on real clips.

The accuracy targets themselves are measured by ``benchmarks/audio_accuracy.py``; these tests pin
behaviour that must never regress: correct tempo/key on an unambiguous signal, Spotify's ranges and
shapes, and the speech/music split on real recordings.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec
import numpy as np
import pytest

from tastemaker.audio.model import AudioResult
from tastemaker.audio.pipeline import analyze_path
from tests.audio_files import write_music
from tests.conftest import shared_data

RANGES_0_1 = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "speechiness",
    "valence",
)


@pytest.fixture(scope="module")
def c_major_120(tmp_path_factory: pytest.TempPathFactory) -> AudioResult:
    path = write_music(tmp_path_factory.mktemp("audio") / "c_major_120.flac", 20.0, bpm=120.0, tonic=0)
    return analyze_path(path)


def test_tempo_and_key_of_a_known_signal(c_major_120: AudioResult) -> None:
    features = c_major_120.features
    assert abs(features.tempo - 120.0) / 120.0 < 0.04
    assert (features.key, features.mode) == (0, 1)
    assert features.time_signature in (3, 4, 5, 6, 7)
    assert abs(features.duration_ms - 20000) < 50


@pytest.mark.parametrize(("bpm", "tonic", "minor"), [(96.0, 9, True), (140.0, 7, False)])
def test_other_tempi_and_keys(tmp_path: Path, bpm: float, tonic: int, minor: bool) -> None:
    features = analyze_path(
        write_music(tmp_path / "clip.wav", 15.0, bpm=bpm, tonic=tonic, minor=minor)
    ).features
    assert abs(features.tempo - bpm) / bpm < 0.04
    assert features.key == tonic
    assert features.mode == (0 if minor else 1)


def test_ranges_follow_spotify(c_major_120: AudioResult) -> None:
    features = c_major_120.features
    for name in RANGES_0_1:
        assert 0.0 <= getattr(features, name) <= 1.0, name
    assert -60.0 <= features.loudness <= 0.0
    assert -1 <= features.key <= 11 and features.mode in (0, 1)
    assert features.speechiness < 0.33  # drums and chords are music
    vector = np.array(c_major_120.vector)
    assert len(vector) == 12 and math.isclose(float(np.linalg.norm(vector)), 1.0, rel_tol=1e-3)


def test_analysis_has_spotifys_shape(c_major_120: AudioResult) -> None:
    analysis = c_major_120.analysis
    assert analysis is not None
    as_dict = msgspec.to_builtins(analysis)
    assert set(as_dict) == {"meta", "track", "bars", "beats", "tatums", "sections", "segments"}
    beats = [b["start"] for b in as_dict["beats"]]
    assert 30 <= len(beats) <= 42  # 20 s at 120 BPM
    assert abs(float(np.median(np.diff(beats))) - 0.5) < 0.02
    assert len(as_dict["tatums"]) >= 2 * len(beats) - 2
    assert 0 < len(as_dict["bars"]) < len(beats)
    segments = as_dict["segments"]
    assert len(segments) >= 20
    for segment in segments:
        assert len(segment["pitches"]) == 12 and len(segment["timbre"]) == 12
        assert max(segment["pitches"]) == pytest.approx(1.0, abs=1e-3)
        assert segment["loudness_max"] >= segment["loudness_start"] - 1e-6
    sections = as_dict["sections"]
    assert sections[0]["start"] == 0.0
    covered = sum(s["duration"] for s in sections)
    assert covered == pytest.approx(analysis.track.duration, abs=0.1)
    track = as_dict["track"]
    assert track["tempo"] == c_major_120.features.tempo and track["key"] == 0
    assert 0.0 <= track["tempo_confidence"] <= 1.0 and 0.0 <= track["key_confidence"] <= 1.0


def test_without_analysis(tmp_path: Path) -> None:
    result = analyze_path(write_music(tmp_path / "clip.ogg", 5.0), with_analysis=False)
    assert result.analysis is None and result.features.tempo > 0


SPEECH = ("198-209-0000.ogg", "3436-172162-0000.ogg", "5703-47212-0000.ogg")
MUSIC = (
    "Kevin_MacLeod_-_Vibe_Ace.ogg",
    "Karissa_Hobbs_-_Lets_Go_Fishin.ogg",
    "admiralbob77_-_Choice_-_Drum-bass.ogg",
    "sorohanro_-_solo-trumpet-06.ogg",
    "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.ogg",
)


@pytest.mark.parametrize("name", SPEECH)
def test_speech_recordings_are_speech(name: str) -> None:
    features = analyze_path(shared_data("librosa_example_audio") / name, with_analysis=False).features
    assert features.speechiness > 0.66
    assert features.instrumentalness < 0.5


@pytest.mark.parametrize("name", MUSIC)
def test_music_recordings_are_not_speech(name: str) -> None:
    features = analyze_path(shared_data("librosa_example_audio") / name, with_analysis=False).features
    assert features.speechiness < 0.33


def test_a_real_clip_has_its_annotated_tempo() -> None:
    features = analyze_path(shared_data("tempo_beat_clips") / "ballroom_Media-105901.flac").features
    assert abs(features.tempo - 84.0) / 84.0 < 0.04
