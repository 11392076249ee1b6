"""The audio benchmarks' data: the labelled clips in ``../shared/data`` and a rendered O'Neill's set.

Nothing here is copied into the repository. Every loader reads ``../shared/data`` (next to the
checkout, as ``tests/conftest.py`` does) at run time and raises ``DataMissing`` with the path it looked
at, so a benchmark can skip that part with a clear message (a user's clone has no shared data).

The O'Neill's set (``rendered_set``) is the only data with hundreds of labelled clips. Each tune's
``K:`` field gives its key; we render the melody to audio with Debian's ``abc2midi`` and ``fluidsynth``
(FluidR3 General MIDI soundfont) at a tempo we choose, so key and tempo are known exactly. Choices, and
why:

- **Tunes**: the 2,009 ``X:`` entries hold 1,838 distinct numbers (overlapping files, ``_bs``/``_mh``
  variants); the first transcription of each number is used.
- **Keys**: only major (``K:G``, ``K:Gmaj``) and minor (``K:Em``, ``K:Emin``) tunes are kept; modal
  tunes (Dmix, Ador, …: 49) are skipped and counted, because mapping a mixolydian tune to "major" would
  make the label itself debatable. Tunes with a key or meter change inside (10) are skipped. The label
  is still the transcriber's ``K:``: a tune written ``K:D`` with explicit ``=c`` is mixolydian in
  practice, so a few "subdominant" errors may be label noise (the accuracy report counts the tunes
  where ours and librosa agree on the same wrong key).
- **Transposition**: the corpus is 65 % G/D/A major, so a detector that leans towards G would look
  good. Each tune is transposed by a seeded ``-5..+6`` semitones (``%%MIDI transpose``), which spreads
  the set over all 24 keys; the label is the transposed key (the original ``K:`` is kept as a column).
- **Minor share**: tunes are ordered so that about 30 % of any prefix is minor (16 % of the corpus is),
  so mode errors weigh enough; any prefix of the order is itself a valid smaller set (``--quick``).
- **Tempo**: the ``Q:`` field is replaced by a seeded integer tempo in 80..160 BPM *of the beat*: the
  quarter note in simple meters (2/4, 3/4, 4/4, C, C|) and the dotted quarter in compound meters
  (6/8, 9/8, 12/8: ``Q:3/8=…``). That beat-level BPM is the ground truth. Tunes in 3/8, 6/4, 5/4
  (ambiguous beat) are skipped.
- **Timbre**: one General MIDI instrument per tune, seeded, from ``INSTRUMENTS``; fluidsynth's default
  reverb and chorus stay on (closer to a recording than a dry synth).
- **Length**: the tune body is played twice (Irish tunes are played through at least twice), then
  the audio is cut to 30 s; a render shorter than ``MIN_SECONDS`` is skipped.

The set is cached in ``benchmarks/.cache/oneills-n<N>-<hash>/`` (git-ignored): ``audio/*.flac``
(mono, 16 bit), ``labels.csv``, ``skipped.csv`` and ``params.json``; the hash covers every parameter,
the tool versions and this module's ``RENDER_VERSION``. ``python -m benchmarks.audio_data --render``
renders (both cores) and prints the folder.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
PATH_NOTE = Path("/tmp/tm-abc-set-path.txt")
RENDER_VERSION = 1
"""Bump when the rendering changes in a way the parameters do not capture (a new cache folder follows)."""
MIN_SECONDS = 8.0
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SIMPLE_METERS = {"2/4": 2, "3/4": 3, "4/4": 4, "C": 4, "C|": 4}
"""Meter -> quarter-note beats per bar (C| counted in quarter notes, as the tempo is)."""
COMPOUND_METERS = {"6/8": 2, "9/8": 3, "12/8": 4}
"""Meter -> dotted-quarter beats per bar."""
INSTRUMENTS: tuple[tuple[str, int], ...] = (
    ("acoustic grand piano", 0),
    ("harpsichord", 6),
    ("accordion", 21),
    ("acoustic guitar (nylon)", 24),
    ("violin", 40),
    ("orchestral harp", 46),
    ("clarinet", 71),
    ("flute", 73),
)
"""General MIDI programs (0-based, as ``%%MIDI program`` takes them)."""


class DataMissing(Exception):
    """A data set or tool the benchmark needs is not on this machine; the message says which."""


def shared_data() -> Path:
    """``../shared/data`` next to the checkout."""
    path = REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise DataMissing(f"{path} does not exist (the shared data sets sit next to the checkout in CI)")
    return path


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataMissing(f"{path} does not exist")
    return path


def key_name(tonic_pc: int, mode: int) -> str:
    """``(7, 1)`` -> ``"G major"``, the form ``mir_eval.key`` reads."""
    return f"{PITCH_CLASSES[tonic_pc % 12]} {'major' if mode == 1 else 'minor'}"


# -- the real clips ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TempoClip:
    """One of ``tempo_beat_clips``: tempo ground truth, beat times when annotated."""

    name: str
    path: Path
    tempi_bpm: tuple[float, ...]
    """One tempo, or several equally acceptable ones (madmom's sample: 87.5 and 175)."""
    beats_s: tuple[float, ...] | None


def tempo_clips() -> list[TempoClip]:
    folder = _require(shared_data() / "tempo_beat_clips")
    clips = []
    with (folder / "tempo_annotations.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            path = folder / row["audio_file"]
            tempi: tuple[float, ...] = (float(row["tempo_bpm"]),)
            annotation = path.with_name(path.stem + ".tempo_annotation.txt")
            if annotation.exists():  # "87.5 175 0.7": tempi, then the first one's weight
                numbers = [
                    float(x)
                    for line in annotation.read_text().splitlines()
                    if line.strip() and not line.startswith("#")
                    for x in line.split()
                ]
                tempi = tuple(numbers[:-1]) if len(numbers) > 2 else tuple(numbers[:1])
            beats = None
            if row["beats_file"]:
                lines = (folder / row["beats_file"]).read_text().splitlines()
                beats = tuple(
                    float(line.split()[0]) for line in lines if line.strip() and not line.startswith("#")
                )
            clips.append(TempoClip(path.stem, path, tempi, beats))
    return clips


@dataclass(frozen=True)
class ExampleClip:
    """One of ``librosa_example_audio`` with what the README says about it."""

    name: str
    path: Path
    kind: str
    """``music``, ``speech`` or ``animal``."""
    vocal: bool | None = None
    """Music only: sung vocals present."""
    key: str | None = None
    """"F# minor", or a bare tonic ("F") where the source states no mode."""
    tempo_bpm: float | None = None


_EXAMPLES: tuple[tuple[str, str, bool | None, str | None, float | None], ...] = (
    ("sorohanro_-_solo-trumpet-06", "music", False, "F", 90.0),
    (
        "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra)",
        "music",
        False,
        "F# minor",
        None,
    ),
    ("Kevin_MacLeod_-_Vibe_Ace", "music", False, None, None),
    ("Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy", "music", False, None, None),
    ("Karissa_Hobbs_-_Lets_Go_Fishin", "music", True, None, None),
    ("admiralbob77_-_Choice_-_Drum-bass", "music", False, None, None),
    ("147793__setuniman__sweet-waltz-0i-22mi", "music", False, None, None),
    ("442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime", "music", False, None, None),
    ("198-209-0000", "speech", None, None, None),
    ("3436-172162-0000", "speech", None, None, None),
    ("5703-47212-0000", "speech", None, None, None),
    ("glacier-bay-humpback", "animal", None, None, None),
    ("456440__inspectorj__bird-whistling-robin-single-13", "animal", None, None, None),
    ("pibble", "animal", None, None, None),
)
"""From the README table of ``librosa_example_audio``: the trumpet pack is stated "in F … 90 bpm"
(no mode, so the key is just "F": either mode counts), the Brahms title says F# minor. The only
sung track is Karissa Hobbs'; the instrumental labels are from the README's descriptions."""


def example_clips() -> list[ExampleClip]:
    folder = _require(shared_data() / "librosa_example_audio")
    return [
        ExampleClip(stem, _require(folder / f"{stem}.ogg"), kind, vocal, key, tempo)
        for stem, kind, vocal, key, tempo in _EXAMPLES
    ]


@dataclass(frozen=True)
class EmoClip:
    """One of the 7 emomusic clips: human valence/arousal (1..9) and our vocal/instrumental decision."""

    song_id: int
    path: Path
    valence: float
    arousal: float
    transcript: str
    vocal: bool


def is_vocal_transcript(text: str) -> bool:
    """Whisper writes "Music" (or nothing, or a few hallucinated words) for instrumentals: call a clip
    vocal only when its transcript has more than 3 words other than "music"."""
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if w != "music"]
    return len(words) > 3


def emo_clips() -> list[EmoClip]:
    folder = _require(shared_data() / "emomusic_1000songs")
    with gzip.open(folder / "static_annotations.csv.gz", "rt", newline="") as file:
        static = {int(r["song_id"]): r for r in csv.DictReader(file)}
    with gzip.open(folder / "whisper_transcripts.csv.gz", "rt", newline="") as file:
        transcripts = {int(r["song_id"]): r["whisper_text"] or "" for r in csv.DictReader(file)}
    clips = []
    for path in sorted((folder / "audio").glob("*.mp3"), key=lambda p: int(p.stem)):
        song = int(path.stem)
        text = transcripts.get(song, "")
        row = static[song]
        clips.append(
            EmoClip(
                song,
                path,
                float(row["mean_valence"]),
                float(row["mean_arousal"]),
                text,
                is_vocal_transcript(text),
            )
        )
    return clips


@dataclass(frozen=True)
class EchoNestPair:
    """FMA track 2 and Echo Nest's (Spotify's predecessor's) features for it; ``fma_keys`` labels."""

    path: Path
    features: dict[str, float]
    fma_keys: dict[int, str] = field(default_factory=dict)
    """FMA track id -> "F# Major"; the audio of these tracks is not in the shared data."""


def echonest_pair() -> EchoNestPair:
    folder = _require(shared_data() / "fma_echonest_pair")
    with (folder / "echonest_audio_features_sample.csv").open(newline="") as file:
        row = next(r for r in csv.DictReader(file) if r["track_id"] == "2")
    with (folder / "fma_keys_metadata_sample.csv").open(newline="") as file:
        keys = {int(r["track_id"]): r["key_and_mode"] for r in csv.DictReader(file)}
    features = {k: float(v) for k, v in row.items() if k != "track_id"}
    return EchoNestPair(_require(folder / "fma_000002.mp3"), features, keys)


# -- the O'Neill's tunes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tune:
    tune_id: str
    """``oneills-0042`` (the ``X:`` number; the first transcription wins where files overlap)."""
    title: str
    source: str
    header: tuple[str, ...]
    key_field: str
    body: tuple[str, ...]


def _field(lines: Sequence[str], name: str) -> str:
    return next((line[2:].strip() for line in lines if line.startswith(f"{name}:")), "")


def parse_tunes(folder: Path) -> Iterator[Tune]:
    """Every ``X:`` entry of every ``*.abc.gz``, in file order; later duplicates of a number dropped."""
    seen: set[int] = set()
    for path in sorted(folder.glob("*.abc.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as file:
            text = file.read()
        for chunk in re.split(r"\n(?=X:)", text.replace("\r\n", "\n")):
            lines = [line.rstrip() for line in chunk.strip().split("\n")]
            match = re.match(r"X:\s*(\d+)", lines[0])
            keys = [i for i, line in enumerate(lines) if line.startswith("K:")]
            if not match or not keys or int(match.group(1)) in seen:
                continue
            seen.add(int(match.group(1)))
            k = keys[0]
            body = tuple(line for line in lines[k + 1 :] if line.strip())
            yield Tune(
                f"oneills-{int(match.group(1)):04d}",
                _field(lines, "T"),
                path.name,
                tuple(lines[1:k]),
                lines[k][2:].strip(),
                body,
            )


def parse_key(field_value: str) -> tuple[int, int] | str:
    """``"F#m"`` -> ``(6, 0)`` (tonic pitch class, mode 1 major / 0 minor), or why it is not kept."""
    match = re.fullmatch(r"([A-Ga-g])([#b]?)\s*([A-Za-z]*)", field_value.strip())
    if not match:
        return f"key {field_value!r} not understood"
    letter, accidental, mode_text = match.groups()
    tonic = (_NATURAL_PC[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    mode_text = mode_text.lower()
    if mode_text in ("", "maj", "major", "ion"):
        return tonic, 1
    if mode_text in ("m", "min", "minor", "aeo"):
        return tonic, 0
    return f"modal key ({mode_text})"


def eligibility(tune: Tune) -> tuple[int, int, str] | str:
    """(tonic, mode, meter) of a tune we can label without doubt, or the reason it is skipped."""
    key = parse_key(tune.key_field)
    if isinstance(key, str):
        return key
    if any(line.startswith(("K:", "M:")) for line in tune.body) or re.search(
        r"\[[KM]:", "\n".join(tune.body)
    ):
        return "key or meter change inside the tune"
    meter = re.sub(r"\s+", "", _field(tune.header, "M"))
    if meter not in SIMPLE_METERS and meter not in COMPOUND_METERS:
        return f"meter {meter or '(none)'} (beat level ambiguous)"
    return key[0], key[1], meter


@dataclass(frozen=True)
class RenderParams:
    """Everything that decides the rendered audio; its digest names the cache folder."""

    n: int = 300
    seed: int = 1850
    tempo_min_bpm: int = 80
    tempo_max_bpm: int = 160
    transpose_min: int = -5
    transpose_max: int = 6
    minor_share: float = 0.3
    max_seconds: float = 30.0
    sample_rate: int = 22050
    gain: float = 0.5
    instruments: tuple[tuple[str, int], ...] = INSTRUMENTS

    def digest(self) -> str:
        tools = [_tool_version(["abc2midi", "-ver"]), _tool_version(["fluidsynth", "--version"])]
        font = f"{SOUNDFONT}:{SOUNDFONT.stat().st_size}" if SOUNDFONT.exists() else "no soundfont"
        blob = json.dumps([RENDER_VERSION, {**asdict(self), "n": 0}, tools, font], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]


def _tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataMissing(
            f"{command[0]} is not usable ({exc}); install Debian's abcmidi and fluidsynth"
        ) from exc
    return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else ""


@dataclass(frozen=True)
class RenderedClip:
    """One row of ``labels.csv``."""

    file: str
    """Relative to the set's folder (``audio/oneills-0042.flac``)."""
    tune_id: str
    title: str
    source: str
    abc_key: str
    transpose: int
    key: str
    tonic_pc: int
    mode: int
    meter: str
    beat_unit: str
    beats_per_bar: int
    tempo_bpm: float
    instrument: str
    gm_program: int
    duration_s: float
    abc2midi_warnings: int


@dataclass(frozen=True)
class _Job:
    order: int
    tune: Tune
    tonic_pc: int
    mode: int
    meter: str
    tempo_bpm: int
    transpose: int
    instrument: tuple[str, int]


@dataclass(frozen=True)
class RenderedSet:
    folder: Path
    clips: list[RenderedClip]
    skipped: dict[str, int]
    """Reason -> number of corpus tunes left out for it (filter and render failures)."""

    def path(self, clip: RenderedClip) -> Path:
        return self.folder / clip.file


def _plan(tunes: Sequence[Tune], params: RenderParams) -> tuple[list[_Job], Counter[str]]:
    """Eligible tunes in the seeded order (minor share kept along every prefix), with their tempo,
    transposition and instrument drawn from a per-tune seed (independent of ``n``)."""
    skipped: Counter[str] = Counter()
    majors: list[tuple[Tune, int, int, str]] = []
    minors: list[tuple[Tune, int, int, str]] = []
    for tune in tunes:
        ok = eligibility(tune)
        if isinstance(ok, str):
            skipped[re.sub(r"\(.*\)", "(…)", ok) if ok.startswith("key ") else ok] += 1
            continue
        (majors if ok[1] == 1 else minors).append((tune, *ok))
    random.Random(params.seed).shuffle(majors)
    random.Random(params.seed + 1).shuffle(minors)
    share = params.minor_share
    slots = [((i + 0.5) / share, item) for i, item in enumerate(minors)] if share > 0 else []
    slots += [((i + 0.5) / (1 - share), item) for i, item in enumerate(majors)] if share < 1 else []
    slots.sort(key=lambda s: s[0])
    jobs = []
    for order, (_, (tune, tonic, mode, meter)) in enumerate(slots):
        rng = random.Random(f"{params.seed}:{tune.tune_id}")
        tempo = rng.randint(params.tempo_min_bpm, params.tempo_max_bpm)
        transpose = rng.randint(params.transpose_min, params.transpose_max)
        instrument = params.instruments[rng.randrange(len(params.instruments))]
        jobs.append(_Job(order, tune, tonic, mode, meter, tempo, transpose, instrument))
    return jobs, skipped


def abc_text(job: _Job) -> str:
    """The tune with our tempo, instrument and transposition in its header, the body played twice."""
    beat = "3/8" if job.meter in COMPOUND_METERS else "1/4"
    header = [line for line in job.tune.header if not line.startswith(("Q:", "%%"))]
    lines = [
        "X:1",
        *header,
        f"Q:{beat}={job.tempo_bpm}",
        f"%%MIDI program {job.instrument[1]}",
        f"%%MIDI transpose {job.transpose}",
        f"K:{job.tune.key_field}",
        *job.tune.body,
        *job.tune.body,
    ]
    return "\n".join(lines) + "\n"


def _render(job: _Job, out: Path, params: RenderParams) -> RenderedClip | str:
    """abc2midi, then fluidsynth, then mono + cut to ``max_seconds`` + FLAC; a string says why not."""
    import soundfile

    with tempfile.TemporaryDirectory(prefix="tm-abc-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "tune.abc").write_text(abc_text(job))
        try:
            made = subprocess.run(
                ["abc2midi", "tune.abc", "-o", "tune.mid"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if made.returncode != 0 or not (tmp / "tune.mid").is_file():
                return f"abc2midi failed (exit {made.returncode})"
            synth = subprocess.run(
                [
                    "fluidsynth",
                    "-ni",
                    "-q",
                    "-g",
                    str(params.gain),
                    "-r",
                    str(params.sample_rate),
                    "-F",
                    "tune.wav",
                    str(SOUNDFONT),
                    "tune.mid",
                ],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return f"{exc.cmd[0]} timed out"
        if synth.returncode != 0 or not (tmp / "tune.wav").is_file():
            return f"fluidsynth failed (exit {synth.returncode})"
        data, rate = soundfile.read(tmp / "tune.wav", dtype="float32", always_2d=True)
    mono = data.mean(axis=1)[: int(params.max_seconds * rate)]
    if len(mono) < MIN_SECONDS * rate:
        return f"shorter than {MIN_SECONDS:.0f} s"
    if float(np.max(np.abs(mono), initial=0.0)) < 1e-3:
        return "silent render"
    partial = out.with_name(out.name + ".part")
    soundfile.write(partial, mono, rate, format="FLAC", subtype="PCM_16")
    partial.replace(out)
    warnings = sum(1 for line in made.stdout.splitlines() + made.stderr.splitlines() if "Error" in line)
    compound = job.meter in COMPOUND_METERS
    return RenderedClip(
        file=f"audio/{out.name}",
        tune_id=job.tune.tune_id,
        title=job.tune.title,
        source=job.tune.source,
        abc_key=job.tune.key_field,
        transpose=job.transpose,
        key=key_name(job.tonic_pc + job.transpose, job.mode),
        tonic_pc=(job.tonic_pc + job.transpose) % 12,
        mode=job.mode,
        meter=job.meter,
        beat_unit="dotted quarter" if compound else "quarter",
        beats_per_bar=(COMPOUND_METERS if compound else SIMPLE_METERS)[job.meter],
        tempo_bpm=float(job.tempo_bpm),
        instrument=job.instrument[0],
        gm_program=job.instrument[1],
        duration_s=round(len(mono) / rate, 3),
        abc2midi_warnings=warnings,
    )


def _render_job(args: tuple[_Job, Path, RenderParams]) -> tuple[int, RenderedClip | str]:
    job, folder, params = args
    return job.order, _render(job, folder / f"{job.tune.tune_id}.flac", params)


def _read_labels(path: Path) -> list[RenderedClip]:
    types = {name: kind for name, kind in RenderedClip.__annotations__.items()}
    convert = {"int": int, "float": float, "str": str}
    with path.open(newline="") as file:
        return [
            RenderedClip(**{k: convert[types[k]](v) for k, v in row.items()}) for row in csv.DictReader(file)
        ]


def _existing(params: RenderParams, digest: str) -> RenderedSet | None:
    """A complete cached set with at least ``n`` clips and the same digest; its first ``n`` clips."""
    best: tuple[int, Path] | None = None
    for folder in CACHE_DIR.glob(f"oneills-n*-{digest}"):
        size = int(folder.name.split("-")[1][1:])
        if size >= params.n and (folder / "labels.csv").is_file() and (best is None or size < best[0]):
            best = (size, folder)
    if best is None:
        return None
    skipped = json.loads((best[1] / "params.json").read_text())["skipped"]
    return RenderedSet(best[1], _read_labels(best[1] / "labels.csv")[: params.n], skipped)


def rendered_set(
    params: RenderParams | None = None, *, jobs: int | None = None, log: bool = True
) -> RenderedSet:
    """The O'Neill's set for ``params``: from the cache, or rendered now in a process pool.

    Rendering takes about 1 s of CPU per tune (fluidsynth loads the 140 MB soundfont each time), so
    300 tunes take a few minutes on 2 cores; later runs read the cache.
    """
    params = params or RenderParams()
    if not SOUNDFONT.exists():
        raise DataMissing(f"{SOUNDFONT} does not exist; install Debian's fluid-soundfont-gm")
    corpus = _require(shared_data() / "oneills1850_abc")
    digest = params.digest()
    cached = _existing(params, digest)
    if cached is not None:
        return cached
    plan, skipped = _plan(list(parse_tunes(corpus)), params)
    final = CACHE_DIR / f"oneills-n{params.n}-{digest}"
    work = final.with_name(final.name + ".part")
    shutil.rmtree(work, ignore_errors=True)
    (work / "audio").mkdir(parents=True)
    done: dict[int, RenderedClip] = {}
    failed: dict[int, str] = {}
    started, cursor = time.monotonic(), 0
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        for _ in range(len(plan) + 1):  # each round renders what is still missing; failures are rare
            missing = params.n - len(done)
            if missing <= 0 or cursor >= len(plan):
                break
            batch = plan[cursor : cursor + missing + max(2, missing // 20)]
            cursor += len(batch)
            for order, outcome in pool.map(_render_job, [(job, work / "audio", params) for job in batch]):
                if isinstance(outcome, str):
                    failed[order] = outcome
                else:
                    done[order] = outcome
            if log:
                print(
                    f"rendered {len(done)}/{params.n} ({len(failed)} failed)"
                    f" in {time.monotonic() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    clips = [done[order] for order in sorted(done)][: params.n]
    for order in sorted(done)[params.n :]:
        (work / done[order].file).unlink()
    skipped.update(f"render: {reason}" for reason in failed.values())
    _write_set(work, clips, skipped, failed, plan, params, digest)
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)
    return RenderedSet(final, clips, dict(skipped))


def _write_set(
    work: Path,
    clips: list[RenderedClip],
    skipped: Counter[str],
    failed: dict[int, str],
    plan: list[_Job],
    params: RenderParams,
    digest: str,
) -> None:
    names = list(RenderedClip.__annotations__)
    with (work / "labels.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=names)
        writer.writeheader()
        writer.writerows(asdict(clip) for clip in clips)
    by_order = {job.order: job for job in plan}
    with (work / "skipped.csv").open("w", newline="") as file:
        plain = csv.writer(file)
        plain.writerow(["tune_id", "title", "reason"])
        plain.writerows(
            [by_order[o].tune.tune_id, by_order[o].tune.title, r] for o, r in sorted(failed.items())
        )
    meta = {
        "params": asdict(params),
        "digest": digest,
        "render_version": RENDER_VERSION,
        "skipped": dict(skipped),
        "clips": len(clips),
    }
    (work / "params.json").write_text(json.dumps(meta, indent=2) + "\n")


def summary(rendered: RenderedSet) -> str:
    clips = rendered.clips
    modes = Counter("minor" if c.mode == 0 else "major" for c in clips)
    meters = Counter(c.meter for c in clips)
    instruments = Counter(c.instrument for c in clips)
    tonics = len({c.tonic_pc for c in clips})
    seconds = sum(c.duration_s for c in clips)
    return (
        f"{len(clips)} clips ({seconds / 60:.0f} min of audio) in {rendered.folder}\n"
        f"  modes: {dict(modes)}; {tonics} tonics; meters: {dict(meters)}\n"
        f"  instruments: {dict(instruments)}\n"
        f"  left out of the corpus: {rendered.skipped}"
    )


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.audio_data", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--render", action="store_true", help="render (or find) the O'Neill's set, print its folder"
    )
    parser.add_argument("-n", type=int, default=RenderParams.n, help="number of tunes (default %(default)s)")
    parser.add_argument("--seed", type=int, default=RenderParams.seed)
    parser.add_argument("--jobs", type=int, default=None, help="render processes (default: all cores)")
    args = parser.parse_args(argv)
    if not args.render:
        parser.print_help()
        return 0
    try:
        rendered = rendered_set(RenderParams(n=args.n, seed=args.seed), jobs=args.jobs)
    except DataMissing as exc:
        print(f"cannot render: {exc}", file=sys.stderr)
        return 1
    print(summary(rendered), file=sys.stderr)
    if args.n == RenderParams.n and args.seed == RenderParams.seed:
        PATH_NOTE.write_text(f"{rendered.folder}\n")
    print(rendered.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
