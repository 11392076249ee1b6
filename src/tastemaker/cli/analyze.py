"""``tastemaker analyze FILE...``: Spotify-style audio features (and analysis) of files, no server needed.

For trying the analyser on a few files and for scripts: ``--json`` writes one object per line, so
``jq`` and line-oriented tools can stream it. Nothing is stored; ``tastemaker scan`` adds files to the
catalog. Like a scan, a file that fails is reported and the others are still analysed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import msgspec
import numpy as np

from tastemaker.audio.decode import AudioError
from tastemaker.audio.model import AudioAnalysis, AudioFeatures, AudioResult
from tastemaker.cli.base import cli, config_from, friendly_errors

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
UNIT_FEATURES = frozenset(
    ("acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "valence")
)
INTERNAL = "internal"
"""The error kind of a file that hit a bug rather than bad input (the decoder's kinds are ERROR_KINDS)."""


def _plain(obj: Any) -> Any:
    """The pipeline may hand back numpy scalars and arrays; JSON wants Python numbers and lists."""
    if isinstance(obj, np.generic | np.ndarray):
        return obj.tolist()
    msg = f"cannot encode {type(obj).__name__} as JSON"
    raise TypeError(msg)


_encoder = msgspec.json.Encoder(enc_hook=_plain)


@dataclass(frozen=True)
class Failure:
    """Why one file failed: ``kind`` and ``message`` for its JSON ``error``, ``line`` for stderr."""

    kind: str
    message: str
    line: str


def analyze_file(
    file: str, *, with_analysis: bool, max_duration_s: float, debug: bool
) -> AudioResult | Failure:
    """One file's result, or why it failed; never raises, so one bad file cannot stop the batch
    (with ``debug`` a bug in the analyser raises, to show its traceback)."""
    if Path(file).is_dir():
        message = "is a folder; `tastemaker scan DIR` analyses folders"
        return Failure("not_audio", message, f"{file}: {message}")
    from tastemaker.audio.pipeline import analyze_path  # SciPy loads only when a file is analysed

    try:
        return analyze_path(file, with_analysis=with_analysis, max_duration_s=max_duration_s)
    except AudioError as exc:
        return Failure(exc.kind, exc.detail, str(exc))
    except Exception as exc:
        if debug:
            raise
        message = (
            f"{type(exc).__name__}: {exc} (a bug, not your file: rerun with --debug, report the traceback)"
        )
        return Failure(INTERNAL, message, f"{file}: {message}")


def _value(name: str, value: Any) -> str:
    """A feature as a person reads it: units, note names, and what the codes mean."""
    if name in UNIT_FEATURES:
        return f"{value:.3f}"
    if name == "key":
        return f"{value} ({PITCH_CLASSES[value] if 0 <= value < 12 else 'none detected'})"
    if name == "mode":
        return f"{value} ({'major' if value == 1 else 'minor'})"
    if name == "loudness":
        return f"{value:.1f} dB"
    if name == "tempo":
        return f"{value:.1f} BPM"
    if name == "time_signature":
        return f"{value} beats per bar"
    if name == "duration_ms":
        minutes, seconds = divmod(value / 1000, 60)
        return f"{value} ({int(minutes)}:{seconds:04.1f})"
    return str(value)


def feature_table(features: AudioFeatures) -> str:
    """The 12 features and the duration, one per line, in Spotify's (alphabetical) order."""
    fields = [f for f in AudioFeatures.__struct_fields__ if f != "algorithm_version"]
    width = max(map(len, fields))
    rows = [f"  {name:<{width}}  {_value(name, getattr(features, name))}" for name in fields]
    rows.append(f"  {'algorithm':<{width}}  {features.algorithm_version}")
    return "\n".join(rows)


def analysis_summary(analysis: AudioAnalysis) -> str:
    """What the analysis holds, with the confidences a reader would check first."""
    track = analysis.track
    parts = ("bars", "beats", "tatums", "sections", "segments")
    counts = ", ".join(f"{len(getattr(analysis, part))} {part}" for part in parts)
    return (
        f"  analysis: {counts}\n"
        f"  confidence: tempo {track.tempo_confidence:.2f}, key {track.key_confidence:.2f}, "
        f"mode {track.mode_confidence:.2f}, time signature {track.time_signature_confidence:.2f}"
    )


def _print_result(file: str, result: AudioResult, *, as_json: bool) -> None:
    if as_json:
        line: dict[str, Any] = {"file": file, "audio_features": result.features}
        if result.analysis is not None:
            line["audio_analysis"] = result.analysis
        click.echo(_encoder.encode(line).decode())
        return
    text = f"{file}\n{feature_table(result.features)}"
    if result.analysis is not None:
        text += "\n" + analysis_summary(result.analysis)
    click.echo(text + "\n")


def _print_failure(file: str, failure: Failure, *, as_json: bool) -> None:
    if as_json:
        error = {"kind": failure.kind, "message": failure.message}
        click.echo(_encoder.encode({"file": file, "error": error}).decode())
    else:
        click.echo(f"error: {failure.line}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE...")
@click.option("--analysis", is_flag=True, help="Also compute the audio analysis (bars, beats, sections...).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line, errors included.")
@click.pass_context
@friendly_errors
def analyze(ctx: click.Context, files: tuple[str, ...], analysis: bool, as_json: bool) -> None:
    """Print the audio features of each FILE (wav, flac, ogg, opus, mp3, m4a, ...).

    A file that cannot be analysed is reported (on stderr, or as an `error` object with --json) and
    the others are still analysed; the exit status is 1 if any file failed. Nothing is stored.
    """
    max_duration_s = float(config_from(ctx)["audio_max_duration_s"])
    debug = bool(ctx.find_root().obj.get("debug"))
    failed = 0
    for file in files:
        result = analyze_file(file, with_analysis=analysis, max_duration_s=max_duration_s, debug=debug)
        if isinstance(result, Failure):
            failed += 1
            _print_failure(file, result, as_json=as_json)
        else:
            _print_result(file, result, as_json=as_json)
    if failed:
        if not as_json:
            click.echo(f"{failed} of {len(files)} files could not be analysed", err=True)
        ctx.exit(1)
