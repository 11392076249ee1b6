"""Decoding: every format we promise reads to mono at the analysis rate; every kind of bad file fails
with its own ``kind`` and a message naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from tastemaker.audio.decode import ANALYSIS_RATE, AudioError, decode
from tests.audio_files import RATE, music_signal, write_audio, write_music


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3", ".m4a"])
def test_formats_decode_to_mono_at_the_analysis_rate(tmp_path: Path, suffix: str) -> None:
    path = write_music(tmp_path / f"clip{suffix}", 4.0)
    audio = decode(path)
    assert audio.sample_rate == ANALYSIS_RATE
    assert audio.source_rate == RATE
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(audio.duration_s - 4.0) < 0.1  # encoders pad a frame or two
    assert 0.05 < float(np.max(np.abs(audio.samples))) <= 1.0


def test_stereo_is_mixed_down_to_the_mean_of_the_channels(tmp_path: Path) -> None:
    left = music_signal(3.0)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, np.zeros_like(left)], axis=1), RATE, subtype="FLOAT")
    mono = tmp_path / "mono.wav"
    soundfile.write(mono, left, RATE, subtype="FLOAT")
    mixed, reference = decode(path), decode(mono)
    assert mixed.source_channels == 2 and abs(mixed.duration_s - 3.0) < 0.01
    np.testing.assert_allclose(mixed.samples, reference.samples / 2, atol=1e-4)


def kind_of(path: Path, max_duration_s: float = 1800.0) -> str:
    with pytest.raises(AudioError) as caught:
        decode(path, max_duration_s=max_duration_s)
    assert str(path) in str(caught.value)
    return caught.value.kind


def test_missing_file(tmp_path: Path) -> None:
    assert kind_of(tmp_path / "nope.flac") == "not_found"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert kind_of(path) == "empty"


def test_text_file_with_an_audio_name_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.flac"
    path.write_text("these are my liner notes, not audio\n" * 20)
    assert kind_of(path) == "not_audio"
    other = tmp_path / "notes.mp3"
    other.write_text("plain text again\n" * 20)
    assert kind_of(other) == "not_audio"


def test_garbage_after_an_audio_header_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(
        b"ID3\x04\x00\x00\x00\x00\x00\x00"
        + bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8))
    )
    assert kind_of(path) in ("corrupt", "not_audio")  # FFmpeg may not even find a stream


def test_truncated_file(tmp_path: Path) -> None:
    whole = write_music(tmp_path / "whole.wav", 10.0)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    assert kind_of(cut) == "truncated"


def test_silent_file(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "silence.wav", np.zeros(RATE * 3, dtype=np.float32))
    assert kind_of(path) == "silent"


def test_too_long_is_refused_before_decoding(tmp_path: Path) -> None:
    path = write_music(tmp_path / "long.flac", 6.0)
    assert kind_of(path, max_duration_s=5.0) == "too_long"
    mp3 = write_music(tmp_path / "long.mp3", 6.0)
    assert kind_of(mp3, max_duration_s=5.0) == "too_long"


def test_too_short(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "blip.wav", music_signal(0.5))
    assert kind_of(path) == "too_short"
