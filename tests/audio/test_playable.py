"""``playable_file``: synth URLs become a cached Ogg Vorbis file written whole; local files pass
through; missing files, remote audio and bad URLs fail with errors that say so."""

from __future__ import annotations

import doctest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import soundfile

from tastemaker.audio import playable
from tastemaker.audio.decode import AudioError
from tastemaker.audio.playable import PLAYABLE_RATE, RemoteAudio, cache_name, playable_file
from tastemaker.audio.synth import SynthParams, render, synth_url
from tastemaker.errors import NotFound
from tests.audio_files import write_music

PARAMS = SynthParams(tempo_bpm=128, key=2, mode=0, energy=0.7, seed=5, duration_s=12.5)
URL = synth_url(PARAMS)


def test_a_synth_url_renders_to_an_ogg_that_decodes_to_the_track(tmp_path: Path) -> None:
    cache = tmp_path / "audio-cache"  # made on first use
    path = playable_file(URL, cache)
    assert path == cache / cache_name(URL) and path.suffix == ".ogg"
    assert path.read_bytes()[:4] == b"OggS"
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left behind
    samples, rate = soundfile.read(path, dtype="float32")
    info = soundfile.info(path)
    assert (rate, info.channels, info.format, info.subtype) == (PLAYABLE_RATE, 1, "OGG", "VORBIS")
    assert len(samples) == round(12.5 * PLAYABLE_RATE)
    # Lossy, but the same music: loudness within 1 dB of the render, and strongly correlated.
    original = render(PARAMS, sample_rate=PLAYABLE_RATE)
    rms = [float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) for x in (samples, original)]
    assert abs(20 * np.log10(rms[0] / rms[1])) < 1.0
    assert float(np.corrcoef(samples, original)[0, 1]) > 0.9


def test_the_second_call_reuses_the_cached_file(tmp_path: Path) -> None:
    first = playable_file(URL, tmp_path)
    stamp = first.stat().st_mtime_ns
    again = playable_file(URL, tmp_path)
    assert again == first and again.stat().st_mtime_ns == stamp
    other = playable_file(synth_url(SynthParams(**{**PARAMS.__dict__, "seed": 6})), tmp_path)
    assert other != first and len(list(tmp_path.iterdir())) == 2


def test_concurrent_first_requests_all_get_a_whole_file(tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: playable_file(URL, tmp_path), range(4)))
    assert len(set(paths)) == 1
    assert soundfile.info(paths[0]).frames == round(12.5 * PLAYABLE_RATE)
    assert [p.name for p in tmp_path.iterdir()] == [paths[0].name]


def test_a_local_path_or_file_url_is_the_file_itself(tmp_path: Path) -> None:
    song = write_music(tmp_path / "my song.flac", 2.0)
    assert playable_file(str(song), tmp_path / "cache") == song
    assert playable_file("file://" + quote(str(song)), tmp_path / "cache") == song
    assert not (tmp_path / "cache").exists()  # nothing rendered, nothing cached


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"gone\.mp3.*does not exist"):
        playable_file(str(tmp_path / "gone.mp3"), tmp_path)


@pytest.mark.parametrize("url", ["https://cdn.example.org/a.mp3", "http://example.org/b.ogg"])
def test_remote_audio_is_refused_with_its_url(url: str, tmp_path: Path) -> None:
    with pytest.raises(RemoteAudio) as caught:
        playable_file(url, tmp_path)
    assert caught.value.url == url and "not served from here" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("synth:?tempo=500&key=0&mode=1&energy=0.5&seed=1&duration=10", "tempo 500.0 is outside"),
        ("relative/song.mp3", "a relative path"),
        ("ftp://example.org/a.mp3", "unsupported URL"),
    ],
)
def test_bad_urls_are_audio_errors_and_write_nothing(url: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        playable_file(url, tmp_path / "cache")
    assert caught.value.kind == "bad_url" and says in caught.value.detail
    assert not (tmp_path / "cache").exists()


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(playable)
    assert result.attempted >= 2 and result.failed == 0
