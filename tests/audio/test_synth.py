"""The demo synth: deterministic, prefix-exact, never clipping, and heard right by the real analyser
(tempo, key, mode, energy); its ``synth:`` URLs round-trip and bad ones say what is wrong."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from tastemaker.audio import synth
from tastemaker.audio.decode import ANALYSIS_RATE, AudioError, DecodedAudio
from tastemaker.audio.model import AudioFeatures
from tastemaker.audio.pipeline import analyze_samples
from tastemaker.audio.synth import SynthParams, parse_synth_url, render, synth_url

BASE = SynthParams(tempo_bpm=124, key=7, mode=1, energy=0.62, seed=123, duration_s=40.0)


def params(**changes: float) -> SynthParams:
    values = {field: getattr(BASE, field) for field in SynthParams.__dataclass_fields__}
    return SynthParams(**{**values, **changes})  # type: ignore[arg-type]


def analysed(p: SynthParams) -> AudioFeatures:
    samples = render(p, seconds=30)
    audio = DecodedAudio(
        samples=samples, sample_rate=ANALYSIS_RATE, source_rate=ANALYSIS_RATE, source_channels=1
    )
    return analyze_samples(audio, with_analysis=False).features


def test_render_is_deterministic_and_the_seed_matters() -> None:
    first, again = render(BASE), render(BASE)
    assert first.dtype == np.float32 and first.shape == (round(40.0 * ANALYSIS_RATE),)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, render(params(seed=124)))


@pytest.mark.parametrize("seconds", [0.0, 0.01, 7.3, 16.0, 39.99, 40.0, 60.0])
def test_a_prefix_is_sample_for_sample_the_start_of_the_full_render(seconds: float) -> None:
    full = render(BASE)
    prefix = render(BASE, seconds=seconds)
    assert len(prefix) == min(len(full), round(seconds * ANALYSIS_RATE))
    assert np.array_equal(prefix, full[: len(prefix)])


@pytest.mark.parametrize("energy", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("tempo", [40.0, 124.0, 220.0])
def test_amplitude_is_bounded_and_the_track_fades_in_and_out(energy: float, tempo: float) -> None:
    samples = render(params(energy=energy, tempo_bpm=tempo, duration_s=30.0), sample_rate=44100)
    assert len(samples) == 30 * 44100 and np.isfinite(samples).all()
    peak = float(np.max(np.abs(samples)))
    assert 0.1 < peak <= synth.HEADROOM < 1.0
    edge = 441  # 10 ms
    assert float(np.max(np.abs(samples[:edge]))) < 0.05 * peak
    assert float(np.max(np.abs(samples[-edge:]))) < 0.05 * peak


@pytest.mark.parametrize("tempo", [90.0, 110.0, 124.0, 140.0])
def test_the_analyser_recovers_the_tempo(tempo: float) -> None:
    measured = analysed(params(tempo_bpm=tempo, seed=int(tempo))).tempo
    assert measured == pytest.approx(tempo, rel=0.03)


@pytest.mark.parametrize("tempo", [60.0, 170.0])
def test_far_tempos_come_back_octave_equivalent(tempo: float) -> None:
    """At 60 BPM the analyser hears the eighth-note hats as the beat (120), at 170 it hears half time
    (85): the same pulse an octave away, which is what beat trackers are allowed."""
    measured = analysed(params(tempo_bpm=tempo, seed=int(tempo))).tempo
    assert min(abs(measured * factor / tempo - 1.0) for factor in (0.5, 1.0, 2.0)) < 0.03


@pytest.mark.parametrize(("key", "mode"), [(7, 1), (2, 1), (9, 0), (3, 0)])
def test_the_analyser_recovers_key_and_mode(key: int, mode: int) -> None:
    features = analysed(params(key=key, mode=mode, seed=key))
    assert (features.key, features.mode) == (key, mode)


def test_a_high_energy_render_is_analysed_as_more_energetic() -> None:
    calm, intense = analysed(params(energy=0.15)), analysed(params(energy=0.85))
    assert calm.energy < 0.35 < 0.65 < intense.energy
    assert intense.loudness > calm.loudness + 6


def test_a_render_reads_as_instrumental_music_not_speech() -> None:
    features = analysed(params(energy=0.9, tempo_bpm=128))
    assert features.speechiness < 0.33 < 0.5 < features.instrumentalness
    assert features.danceability > 0.8 and features.time_signature == 4


def test_the_url_round_trips() -> None:
    url = synth_url(BASE)
    assert url == "synth:?tempo=124&key=7&mode=1&energy=0.62&seed=123&duration=40"
    assert parse_synth_url(url) == BASE
    odd = params(tempo_bpm=97.123456789, energy=1 / 3, duration_s=212.345, seed=2**63 - 1)
    assert parse_synth_url(synth_url(odd)) == odd


GOOD = "tempo=124&key=7&mode=1&energy=0.62&seed=123&duration=212.5"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("synth:?" + GOOD.replace("tempo=124", "tempo=300"), "tempo 300.0 is outside 40–220 BPM"),
        ("synth:?" + GOOD.replace("tempo=124", "tempo=39.9"), "tempo 39.9 is outside"),
        ("synth:?" + GOOD.replace("duration=212.5", "duration=901"), "duration 901.0 s is outside 1–900 s"),
        ("synth:?" + GOOD.replace("duration=212.5", "duration=0.5"), "duration 0.5 s is outside"),
        ("synth:?" + GOOD.replace("key=7", "key=12"), "key 12 is not a pitch class"),
        ("synth:?" + GOOD.replace("mode=1", "mode=2"), "mode 2 is neither"),
        ("synth:?" + GOOD.replace("energy=0.62", "energy=1.5"), "energy 1.5 is outside 0–1"),
        ("synth:?" + GOOD.replace("energy=0.62", "energy=nan"), "energy nan is outside"),
        ("synth:?" + GOOD.replace("seed=123", "seed=-1"), "seed -1 is outside"),
        ("synth:?" + GOOD.replace("key=7", "key=G"), "key = 'G' is not an integer"),
        ("synth:?" + GOOD.replace("tempo=124", "tempo=fast"), "tempo = 'fast' is not a number"),
        ("synth:?" + GOOD.replace("&seed=123", ""), "missing parameter seed"),
        ("synth:?tempo=124", "missing parameters key, mode, energy, seed, duration"),
        ("synth:?" + GOOD + "&volume=11", "unknown parameter 'volume'"),
        ("synth:?" + GOOD + "&key=3", "parameter 'key' is given twice"),
        ("synth:?" + GOOD + "&&", "malformed query"),
        ("synth://host/?" + GOOD, "expected synth:?tempo="),
        ("synth:" + GOOD, "expected synth:?tempo="),
        ("http://example.org/a.mp3", "expected synth:?tempo="),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(AudioError) as caught:
        parse_synth_url(url)
    assert caught.value.kind == "bad_url" and caught.value.path == url
    assert says in caught.value.detail


def test_params_refuse_out_of_range_values_directly() -> None:
    with pytest.raises(ValueError, match=r"tempo 10\.0 is outside.*key 13 is not"):
        SynthParams(tempo_bpm=10.0, key=13, mode=1, energy=0.5, seed=0, duration_s=60.0)


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(synth)
    assert result.attempted >= 4 and result.failed == 0
