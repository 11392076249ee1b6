"""Demo audio with no downloads: a small deterministic synth (drums, bass, chords, an arpeggio) that
plays a track at a given tempo, key, mode and energy, named by a ``synth:`` URL.

The simulated world gives every track such a URL, so the player has something to play and the audio
analyser something to measure, and both agree with the track's made-up tempo, key and energy.

How it stays fast and exact:
- One phrase (four bars, one chord per bar) is rendered per instrument, once; notes ringing past the
  phrase end wrap around to its start, so the phrase loops without a click.
- The track is that phrase repeated, each repeat mixed from the instrument loops with the gains of its
  section (intro, verse, chorus, breakdown, outro), then a short fade in and out. Every output sample
  depends only on its index and the parameters, so ``render(..., seconds=30)`` is exactly the first
  30 s of the full render, and costs only what those 30 s cost (plus the phrase).
- The level is set from the full (chorus) mix, then a soft limiter (``tanh``, scaled to
  ``HEADROOM``) keeps every sample under full scale, sample by sample, so nothing clips and a prefix
  stays exact. Energy sets loudness, drum level, hi-hat density and brightness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import numpy.typing as npt

from tastemaker.audio.decode import ANALYSIS_RATE, AudioError

Array = npt.NDArray[np.float32]

SCHEME = "synth"
MIN_TEMPO_BPM, MAX_TEMPO_BPM = 40.0, 220.0
MIN_DURATION_S, MAX_DURATION_S = 1.0, 900.0
MAX_SEED = 2**63 - 1
BARS_PER_PHRASE = 4
BEATS_PER_BAR = 4
FADE_IN_S, FADE_OUT_S = 0.5, 3.0
SIXTEENTHS_MAX_BPM = 130.0  # faster, hi-hat sixteenths blur into a pulse of their own (4/3 of the tempo)
EIGHTHS_MAX_BPM = 150.0  # faster, hi-hats play only the off-beats
HEADROOM = 0.97  # peak after the limiter: a little under full scale, so encoders do not clip

_STEMS = ("kick", "snare", "hats", "bass", "chords", "arp")
# Gain of each stem per section; rows in _STEMS order.
_SECTIONS: dict[str, tuple[float, ...]] = {
    "intro": (1.0, 0.0, 0.6, 0.0, 1.0, 0.0),
    "verse": (1.0, 1.0, 0.8, 1.0, 0.8, 0.0),
    "chorus": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "breakdown": (0.0, 0.0, 0.5, 0.6, 1.0, 1.0),
}
_BODY = ("verse", "verse", "chorus", "chorus", "verse", "chorus", "breakdown", "chorus")
# Chord roots as scale degrees (0-based); each progression starts on the tonic and most return to it.
_MAJOR_PROGRESSIONS = ((0, 4, 5, 3), (0, 3, 4, 0), (0, 3, 0, 4), (0, 5, 3, 4))
_MINOR_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 0, 4), (0, 3, 0, 4), (0, 5, 4, 0))
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)  # its raised seventh makes V major: it pulls to the tonic
_TABLE_SIZE = 4096
# Bass rhythms in eighths, sparse to driving, every one starting on the beat. Random ones would bring
# 3-3-2 figures, which, lovely as they are, make the analyser hear 2/3 or 4/3 of the tempo.
_BASS_PATTERNS = (
    (1, 0, 0, 0, 1, 0, 0, 0),
    (1, 0, 0, 0, 1, 0, 1, 0),
    (1, 0, 1, 0, 1, 0, 1, 0),
    (1, 0, 1, 0, 1, 0, 1, 1),
    (1, 0, 1, 1, 1, 0, 1, 1),
    (1, 1, 1, 1, 1, 1, 1, 1),
)


@dataclass(frozen=True)
class SynthParams:
    """What a synthesized track sounds like. ``key`` is a pitch class (0 = C), ``mode`` 1 major / 0
    minor (Spotify's convention), ``energy`` 0–1; ``seed`` varies the patterns, ``duration_s`` is the
    full length. Out-of-range values raise ``ValueError``."""

    tempo_bpm: float
    key: int
    mode: int
    energy: float
    seed: int
    duration_s: float

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def _problems(p: SynthParams) -> list[str]:
    problems = []
    if not (math.isfinite(p.tempo_bpm) and MIN_TEMPO_BPM <= p.tempo_bpm <= MAX_TEMPO_BPM):
        problems.append(f"tempo {p.tempo_bpm} is outside {MIN_TEMPO_BPM:g}–{MAX_TEMPO_BPM:g} BPM")
    if p.key not in range(12):
        problems.append(f"key {p.key} is not a pitch class 0–11")
    if p.mode not in (0, 1):
        problems.append(f"mode {p.mode} is neither 0 (minor) nor 1 (major)")
    if not (math.isfinite(p.energy) and 0.0 <= p.energy <= 1.0):
        problems.append(f"energy {p.energy} is outside 0–1")
    if not 0 <= p.seed <= MAX_SEED:
        problems.append(f"seed {p.seed} is outside 0–2**63-1")
    if not (math.isfinite(p.duration_s) and MIN_DURATION_S <= p.duration_s <= MAX_DURATION_S):
        problems.append(f"duration {p.duration_s} s is outside {MIN_DURATION_S:g}–{MAX_DURATION_S:g} s")
    return problems


# ---------------------------------------------------------------------------------------------- URLs

_FIELDS = {"tempo": "tempo_bpm", "key": "key", "mode": "mode", "energy": "energy", "seed": "seed",
           "duration": "duration_s"}  # fmt: skip
_INTEGER_FIELDS = frozenset({"key", "mode", "seed"})


def synth_url(params: SynthParams) -> str:
    """The URL that names ``params``; ``parse_synth_url`` gives them back exactly.

    Examples:
        >>> synth_url(SynthParams(tempo_bpm=124, key=7, mode=1, energy=0.62, seed=123, duration_s=212.5))
        'synth:?tempo=124&key=7&mode=1&energy=0.62&seed=123&duration=212.5'
    """
    query = "&".join(f"{name}={_number(getattr(params, field))}" for name, field in _FIELDS.items())
    return f"{SCHEME}:?{query}"


def _number(value: float) -> str:
    """The shortest text that reads back as the same number: ``124`` rather than ``124.0``."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def is_synth_url(url: str) -> bool:
    return url.startswith(f"{SCHEME}:")


def parse_synth_url(url: str) -> SynthParams:
    """The parameters a ``synth:`` URL names; ``AudioError(url, "bad_url", ...)`` says what is wrong.

    Examples:
        >>> parse_synth_url("synth:?tempo=90&key=0&mode=0&energy=0.3&seed=1&duration=60").tempo_bpm
        90.0
    """
    parts = urlsplit(url)
    if parts.scheme != SCHEME or parts.netloc or parts.path or parts.fragment:
        msg = f"expected {SCHEME}:?tempo=…&key=…&mode=…&energy=…&seed=…&duration=…"
        raise AudioError(url, "bad_url", msg)
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        msg = f"malformed query ({exc})"
        raise AudioError(url, "bad_url", msg) from exc
    values: dict[str, float | int] = {}
    for name, text in pairs:
        if name not in _FIELDS:
            msg = f"unknown parameter {name!r}; expected {', '.join(_FIELDS)}"
            raise AudioError(url, "bad_url", msg)
        if _FIELDS[name] in values:
            msg = f"parameter {name!r} is given twice"
            raise AudioError(url, "bad_url", msg)
        values[_FIELDS[name]] = _parse_number(url, name, text)
    missing = [name for name, field in _FIELDS.items() if field not in values]
    if missing:
        msg = f"missing parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        raise AudioError(url, "bad_url", msg)
    try:
        return SynthParams(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise AudioError(url, "bad_url", str(exc)) from exc


def _parse_number(url: str, name: str, text: str) -> float | int:
    try:
        return int(text) if name in _INTEGER_FIELDS else float(text)
    except ValueError:
        kind = "an integer" if name in _INTEGER_FIELDS else "a number"
        msg = f"{name} = {text!r} is not {kind}"
        raise AudioError(url, "bad_url", msg) from None


# --------------------------------------------------------------------------------------------- render


def render(params: SynthParams, *, sample_rate: int = ANALYSIS_RATE, seconds: float | None = None) -> Array:
    """Mono float32 samples in (-1, 1) at ``sample_rate``: the whole track, or its first ``seconds``
    (sample for sample the start of the whole render).

    Examples:
        >>> p = SynthParams(tempo_bpm=120, key=9, mode=0, energy=0.5, seed=7, duration_s=10)
        >>> full = render(p)
        >>> full.shape, bool(np.array_equal(render(p, seconds=2.0), full[:44100]))
        ((220500,), True)
    """
    total = round(params.duration_s * sample_rate)
    n = total if seconds is None else max(0, min(total, round(seconds * sample_rate)))
    stems, phrase = _phrase_stems(params, sample_rate)
    sections = _section_plan(params, total, phrase)
    mixes = {name: _mix(stems, gains) for name, gains in _SECTIONS.items() if name in sections}
    # Level set by the full mix (the chorus), the same for every section and for any prefix.
    chorus = mixes["chorus"] if "chorus" in mixes else _mix(stems, _SECTIONS["chorus"])
    rms = float(np.sqrt(np.mean(np.square(chorus, dtype=np.float64))))
    gain = np.float32(10 ** (_rms_dbfs(params.energy) / 20.0) / max(rms, 1e-9))
    out = np.empty(n, dtype=np.float32)
    for index, start in enumerate(range(0, n, phrase)):
        stop = min(n, start + phrase)
        np.multiply(mixes[sections[index]][: stop - start], gain, out=out[start:stop])
    # A soft limiter, as mastering does: loud tracks get dense, and no sample reaches full scale.
    np.tanh(out, out=out)
    out *= np.float32(HEADROOM)
    _fade(out, total, sample_rate)
    return out


def _rms_dbfs(energy: float) -> float:
    """The full mix's level before the limiter: quiet and dynamic when calm, loud and dense when not.
    Calibrated so that the analyser's energy lands within about 0.15 of ``energy`` (docs/simulator.md)."""
    return -20.5 + 17.0 * energy


def _section_plan(params: SynthParams, total: int, phrase: int) -> list[str]:
    """The section of each phrase: an intro, the body cycling from a seed-chosen point, and an outro
    (the intro's instruments)."""
    count = max(1, -(-total // phrase))
    offset = params.seed % len(_BODY)
    plan = [_BODY[(offset + i) % len(_BODY)] for i in range(count)]
    plan[0] = "intro"
    if count > 2:
        plan[-1] = "intro"
    return plan


def _mix(stems: dict[str, Array], gains: tuple[float, ...]) -> Array:
    out = np.zeros_like(stems["kick"])
    for name, gain in zip(_STEMS, gains, strict=True):
        if gain:
            out += np.float32(gain) * stems[name]
    return out


def _fade(out: Array, total: int, sample_rate: int) -> None:
    """Linear fade in over the first ``FADE_IN_S`` and out over the last ``FADE_OUT_S`` (at most a
    tenth of the track), applied to whatever part of the track ``out`` holds."""
    fade_in = max(1, round(min(FADE_IN_S, 0.1 * total / sample_rate) * sample_rate))
    fade_out = max(1, round(min(FADE_OUT_S, 0.1 * total / sample_rate) * sample_rate))
    head = min(len(out), fade_in)
    out[:head] *= (np.arange(head, dtype=np.float32) / np.float32(fade_in)).astype(np.float32)
    tail_start = total - fade_out
    if len(out) > tail_start:
        index = np.arange(tail_start, len(out), dtype=np.float32)
        out[tail_start:] *= ((np.float32(total) - index) / np.float32(fade_out)).astype(np.float32)


# ------------------------------------------------------------------------------------- instruments


@dataclass(frozen=True)
class _Grid:
    """Where things fall in one phrase: sample positions of beats and their subdivisions."""

    sample_rate: int
    beat: float  # samples per beat (not rounded)
    length: int  # samples per phrase

    @property
    def bpm(self) -> float:
        return 60.0 * self.sample_rate / self.beat

    def at(self, beats: float) -> int:
        return round(beats * self.beat) % self.length


def _phrase_stems(params: SynthParams, sample_rate: int) -> tuple[dict[str, Array], int]:
    """Each instrument's loop of one phrase, and the phrase length in samples."""
    rng = np.random.default_rng(params.seed)
    beat = 60.0 / params.tempo_bpm * sample_rate
    grid = _Grid(sample_rate, beat, round(beat * BEATS_PER_BAR * BARS_PER_PHRASE))
    scale = _MAJOR_SCALE if params.mode == 1 else _HARMONIC_MINOR_SCALE
    progressions = _MAJOR_PROGRESSIONS if params.mode == 1 else _MINOR_PROGRESSIONS
    progression = progressions[int(rng.integers(len(progressions)))]
    chords = [_triad(params.key, scale, degree) for degree in progression]
    energy = params.energy
    drums = 0.35 + 0.65 * energy
    stems = {
        "kick": _kick(grid) * np.float32(drums),
        "snare": _snare(grid, rng) * np.float32(0.55 * drums),
        # Kept low: loud hi-hats on every sixteenth read as speech to the analyser (timbre flux).
        "hats": _hats(grid, rng, energy) * np.float32((0.03 + 0.15 * energy) * drums),
        "bass": _bass(grid, rng, chords, energy) * np.float32(0.5),
        "chords": _chords(grid, chords, energy) * np.float32(0.22),
        "arp": _arp(grid, rng, chords, energy) * np.float32(0.12 + 0.1 * energy),
    }
    return stems, grid.length


def _triad(key: int, scale: tuple[int, ...], degree: int) -> tuple[int, int, int]:
    """The triad on ``degree`` of the scale, as MIDI notes from the root in octave 4."""
    root = 60 + key + scale[degree]
    third = scale[(degree + 2) % 7] - scale[degree]
    fifth = scale[(degree + 4) % 7] - scale[degree]
    return root, root + third % 12, root + fifth % 12


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add(loop: Array, sound: Array, start: int) -> None:
    """Add ``sound`` into ``loop`` at ``start``, wrapping past the end to the beginning."""
    n = len(loop)
    sound = sound[:n]
    head = min(len(sound), n - start)
    loop[start : start + head] += sound[:head]
    if head < len(sound):
        loop[: len(sound) - head] += sound[head:]


def _decay(length: int, sample_rate: int, time_s: float) -> Array:
    curve: Array = np.exp(-np.arange(length, dtype=np.float32) / np.float32(time_s * sample_rate))
    return curve.astype(np.float32, copy=False)


def _kick(grid: _Grid) -> Array:
    """A sine sweeping 120 → 45 Hz on every beat: what carries the tempo."""
    sr = grid.sample_rate
    n = round(0.3 * sr)
    t = np.arange(n, dtype=np.float64) / sr
    freq_phase = 45.0 * t + (120.0 - 45.0) * 0.03 * (1 - np.exp(-t / 0.03))
    hit = (np.sin(2 * np.pi * freq_phase) * np.exp(-t / 0.09)).astype(np.float32)
    loop = np.zeros(grid.length, dtype=np.float32)
    for b in range(BEATS_PER_BAR * BARS_PER_PHRASE):
        _add(loop, hit, grid.at(b))
    return loop


def _noise(rng: np.random.Generator, n: int) -> Array:
    return (rng.random(n, dtype=np.float32) * np.float32(2.0) - np.float32(1.0)).astype(np.float32)


def _snare(grid: _Grid, rng: np.random.Generator) -> Array:
    """Noise and a 190 Hz body on beats 2 and 4."""
    sr = grid.sample_rate
    n = round(0.2 * sr)
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    body = np.sin(np.float32(2 * np.pi * 190.0) * t) * _decay(n, sr, 0.04)
    hit = (0.8 * _noise(rng, n) * _decay(n, sr, 0.06) + 0.5 * body).astype(np.float32)
    loop = np.zeros(grid.length, dtype=np.float32)
    for b in range(1, BEATS_PER_BAR * BARS_PER_PHRASE, 2):
        _add(loop, hit, grid.at(b))
    return loop


def _hats(grid: _Grid, rng: np.random.Generator, energy: float) -> Array:
    """Bright noise ticks on the off-beats, plus the beats (eighths) unless the tempo is fast, plus
    sixteenths when energetic and slow enough; an open hat on the off-beats when very energetic.
    Evenly spaced ticks at a fast rate would make a pulse of their own (2/3 of the tempo)."""
    sr = grid.sample_rate
    n = round(0.05 * sr)
    closed = (np.diff(_noise(rng, n + 1)) * _decay(n, sr, 0.012)).astype(np.float32)  # diff: a high-pass
    m = round(0.2 * sr)
    opened = (np.diff(_noise(rng, m + 1)) * _decay(m, sr, 0.07) * np.float32(0.6)).astype(np.float32)
    per_beat = 4 if energy > 0.6 and grid.bpm <= SIXTEENTHS_MAX_BPM else 2
    on_beat = grid.bpm <= EIGHTHS_MAX_BPM
    loop = np.zeros(grid.length, dtype=np.float32)
    for k in range(BEATS_PER_BAR * BARS_PER_PHRASE * per_beat):
        step = k % per_beat
        sound: Array | None
        if step == per_beat // 2:  # the off-beat
            sound = opened if energy > 0.8 else closed
        elif step == 0:
            sound = closed * np.float32(0.7) if on_beat else None
        else:
            sound = closed * np.float32(0.3)
        if sound is not None:
            _add(loop, sound, grid.at(k / per_beat))
    return loop


def _wavetable(harmonics: int, tilt: float) -> Array:
    """One period with ``harmonics`` partials falling off as ``k ** -tilt`` (saw-like at tilt 1)."""
    phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    table = np.zeros(_TABLE_SIZE)
    for k in range(1, harmonics + 1):
        table += np.sin(2 * np.pi * k * phase) * k**-tilt
    normalised: Array = (table / np.max(np.abs(table))).astype(np.float32)
    return normalised


def _tone(table: Array, midi: float, n: int, sample_rate: int) -> Array:
    """``n`` samples of ``table`` played at the pitch of ``midi``."""
    step = _hz(midi) * _TABLE_SIZE / sample_rate
    index = (np.arange(n, dtype=np.float64) * step).astype(np.int64) & (_TABLE_SIZE - 1)
    tone: Array = table[index]
    return tone


def _note(table: Array, midi: float, n: int, sr: int, *, attack_s: float, release_s: float) -> Array:
    """A tone with a linear attack and an exponential tail, for ``n`` samples."""
    tone = _tone(table, midi, n, sr)
    env = _decay(n, sr, release_s)
    attack = min(n, max(1, round(attack_s * sr)))
    env[:attack] *= np.linspace(0.0, 1.0, attack, dtype=np.float32)
    fade = min(n, round(0.01 * sr))  # no click where the note is cut
    env[n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return (tone * env).astype(np.float32)


def _bass(grid: _Grid, rng: np.random.Generator, chords: list[tuple[int, int, int]], energy: float) -> Array:
    """The chord root two octaves down in an eighth-note pattern: sparse when calm, driving when not."""
    sr = grid.sample_rate
    table = _wavetable(8, 1.0)
    level = min(len(_BASS_PATTERNS) - 2, int(energy * (len(_BASS_PATTERNS) - 1)))
    pattern = _BASS_PATTERNS[level + int(rng.integers(2))]
    loop = np.zeros(grid.length, dtype=np.float32)
    eighth = grid.beat / 2
    length = max(1, round(eighth * 0.95))
    for bar, chord in enumerate(chords):
        root = chord[0] - 24
        for k, on in enumerate(pattern):
            if on:
                note = root + (12 if k % 4 == 3 and energy > 0.5 else 0)
                sound = _note(table, note, length, sr, attack_s=0.005, release_s=0.25)
                _add(loop, sound, grid.at(bar * BEATS_PER_BAR + k / 2))
    return loop


def _chords(grid: _Grid, chords: list[tuple[int, int, int]], energy: float) -> Array:
    """Each bar's triad held for the bar; brighter (more partials) when energetic."""
    sr = grid.sample_rate
    table = _wavetable(3 + round(5 * energy), 1.6 - 0.6 * energy)
    loop = np.zeros(grid.length, dtype=np.float32)
    bar = round(grid.beat * BEATS_PER_BAR)
    for index, chord in enumerate(chords):
        start = grid.at(index * BEATS_PER_BAR)
        for midi in chord:
            sound = _note(table, midi, bar, sr, attack_s=0.03, release_s=4.0)
            _add(loop, sound, start)
    return loop


def _arp(grid: _Grid, rng: np.random.Generator, chords: list[tuple[int, int, int]], energy: float) -> Array:
    """Four chord tones (root, third, fifth, octave) an octave up in a seed-chosen order: eighths,
    sixteenths when energetic and slow enough, quarters when fast. Four, not three: a three-note
    cycle would accent every third step and pull the heard pulse to 2/3 or 4/3 of the tempo."""
    sr = grid.sample_rate
    table = _wavetable(4, 1.2)
    per_beat = 4 if energy > 0.7 and grid.bpm <= SIXTEENTHS_MAX_BPM else 2
    if grid.bpm > EIGHTHS_MAX_BPM:
        per_beat = 1
    order = rng.permutation(4)
    loop = np.zeros(grid.length, dtype=np.float32)
    length = max(1, round(grid.beat / per_beat * 0.9))
    for bar, chord in enumerate(chords):
        tones = (*chord, chord[0] + 12)
        for k in range(BEATS_PER_BAR * per_beat):
            midi = tones[int(order[k % 4])] + 12
            accent = np.float32(1.0 if k % per_beat == 0 else 0.55)
            sound = _note(table, midi, length, sr, attack_s=0.003, release_s=0.12) * accent
            _add(loop, sound, grid.at(bar * BEATS_PER_BAR + k / per_beat))
    return loop
