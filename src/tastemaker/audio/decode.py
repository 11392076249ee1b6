"""Audio files to one mono float32 signal at the analysis rate, or an ``AudioError`` that says why not.

soundfile (libsndfile) reads wav/flac/ogg/opus/aiff; everything else (mp3, m4a/aac, …) goes through
PyAV, whose wheels carry FFmpeg, so no system package is needed. Every failure a library can have —
missing, empty, not audio at all, corrupt, truncated, silent, too long — becomes one ``AudioError``
with a stable ``kind`` so a batch scan reports it and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tastemaker.errors import TastemakerError

ANALYSIS_RATE = 22050
SILENCE_PEAK = 10 ** (-80 / 20)  # -80 dBFS: quieter than any real recording's noise floor
MIN_SECONDS = 1.0
_SOUNDFILE_SUFFIXES = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff"})
_TRUNCATED_FRACTION = 0.8  # decoded less than this share of what the header promises

ERROR_KINDS = ("not_found", "empty", "not_audio", "corrupt", "truncated", "silent", "too_short", "too_long")


class AudioError(TastemakerError):
    """One file could not be analysed; ``kind`` is one of ``ERROR_KINDS``."""

    def __init__(self, path: str | Path, kind: str, detail: str) -> None:
        super().__init__(f"{path}: {kind.replace('_', ' ')}: {detail}")
        self.path = str(path)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class DecodedAudio:
    samples: npt.NDArray[np.float32]
    """Mono, at ``sample_rate``, in [-1, 1]."""
    sample_rate: int
    source_rate: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(
    path: str | Path, *, max_duration_s: float = 1800.0, sample_rate: int = ANALYSIS_RATE
) -> DecodedAudio:
    """Decode, mix to mono and resample; raise ``AudioError`` for anything that is not usable audio."""
    file = Path(path)
    if not file.is_file():
        raise AudioError(path, "not_found", "no such file")
    if file.stat().st_size == 0:
        raise AudioError(path, "empty", "the file has 0 bytes")
    if file.suffix.lower() in _SOUNDFILE_SUFFIXES:
        samples, rate, channels, declared = _read_soundfile(file, max_duration_s)
    else:
        samples, rate, channels, declared = _read_pyav(file, max_duration_s)
    _check_content(file, samples, rate, declared)
    if rate != sample_rate:
        import soxr

        samples = soxr.resample(samples, rate, sample_rate, quality="HQ").astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return DecodedAudio(samples=samples, sample_rate=sample_rate, source_rate=rate, source_channels=channels)


def _read_soundfile(
    file: Path, max_duration_s: float
) -> tuple[npt.NDArray[np.float32], int, int, float | None]:
    import soundfile

    try:
        with soundfile.SoundFile(file) as sound:
            rate, channels, frames = sound.samplerate, sound.channels, sound.frames
            declared = frames / rate if frames > 0 else None
            if sound.format in ("WAV", "WAVEX"):
                # libsndfile shrinks a cut-off wav's frame count to what is there; the header knows better.
                declared = _riff_declared_seconds(file, rate, channels, sound.subtype) or declared
            if declared is not None and declared > max_duration_s:
                raise AudioError(
                    file, "too_long", f"{declared:.0f} s is over the {max_duration_s:.0f} s limit"
                )
            mono = _read_mono(sound)
    except AudioError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        # ValueError: a header that makes libsndfile call the file unseekable (found by fuzzing)
        if _looks_like_audio(file):
            # libsndfile refuses some valid files (odd wav chunks, chained ogg): let FFmpeg try.
            try:
                return _read_pyav(file, max_duration_s)
            except AudioError as fallback:
                raise AudioError(file, fallback.kind, f"{fallback.detail} (libsndfile: {exc})") from exc
        raise AudioError(file, "not_audio", f"not a recognised audio format ({exc})") from exc
    return mono, rate, channels, declared


def _read_pyav(file: Path, max_duration_s: float) -> tuple[npt.NDArray[np.float32], int, int, float | None]:
    import av

    try:
        container = av.open(str(file), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        kind = "corrupt" if _looks_like_audio(file) else "not_audio"
        raise AudioError(file, kind, f"cannot be opened as audio ({exc})") from exc
    with container:
        if not container.streams.audio:
            raise AudioError(file, "not_audio", "the file has no audio stream")
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # a stream whose codec FFmpeg does not know (found by fuzzing)
            raise AudioError(file, "corrupt", "the audio stream's codec is unknown or unsupported")
        rate = stream.codec_context.sample_rate or stream.sample_rate or 0
        channels = stream.codec_context.channels or 1
        if rate <= 0:
            raise AudioError(file, "corrupt", "the audio stream declares no sample rate")
        declared: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            declared = container.duration / 1_000_000
        if declared is not None and declared > max_duration_s:
            raise AudioError(file, "too_long", f"{declared:.0f} s is over the {max_duration_s:.0f} s limit")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks: list[npt.NDArray[np.float32]] = []
        total = 0
        limit = int((max_duration_s + 1) * rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise AudioError(file, "too_long", f"over the {max_duration_s:.0f} s limit")
            for out in resampler.resample(None):
                chunks.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))
        except av.FFmpegError as exc:
            if total == 0:
                raise AudioError(file, "corrupt", f"no audio could be decoded ({exc})") from exc
            raise AudioError(
                file, "truncated", f"decoding stopped after {total / rate:.1f} s ({exc})"
            ) from exc
    samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
    return samples, rate, channels, declared


_SUBTYPE_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


def _riff_declared_seconds(file: Path, rate: int, channels: int, subtype: str) -> float | None:
    """Seconds the wav's ``data`` chunk header promises (None when it cannot be read or is open-ended)."""
    width = _SUBTYPE_BYTES.get(subtype)
    if width is None:
        return None
    with file.open("rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF":
            return None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                return None if size in (0, 0xFFFFFFFF) else size / (width * channels * rate)
            handle.seek(size + (size & 1), 1)


def _read_mono(sound: Any) -> npt.NDArray[np.float32]:
    """Mix down block by block: a whole 44.1 kHz stereo track read at once would be 100 MB more."""
    if sound.channels == 1:
        mono: npt.NDArray[np.float32] = sound.read(dtype="float32")
        return mono
    parts = [
        block.mean(axis=1, dtype=np.float32) for block in sound.blocks(blocksize=1 << 16, dtype="float32")
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _check_content(file: Path, samples: npt.NDArray[np.float32], rate: int, declared: float | None) -> None:
    seconds = len(samples) / rate
    if len(samples) == 0:
        raise AudioError(file, "empty", "the file holds no audio samples")
    if declared is not None and declared > 2 * MIN_SECONDS and seconds < _TRUNCATED_FRACTION * declared:
        raise AudioError(
            file, "truncated", f"only {seconds:.1f} s of the {declared:.1f} s it declares decoded"
        )
    if not np.isfinite(samples).all():
        raise AudioError(file, "corrupt", "the decoded samples contain NaN or infinity")
    if seconds < MIN_SECONDS:
        raise AudioError(file, "too_short", f"{seconds:.2f} s is under the {MIN_SECONDS:.0f} s minimum")
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise AudioError(file, "silent", "the whole file is below -80 dBFS")


_AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"FORM", b"caff", b"\x1aE\xdf\xa3", b"#!AMR")


def _looks_like_audio(file: Path) -> bool:
    """Whether the first bytes carry an audio container's signature: tells corrupt from not-audio."""
    with file.open("rb") as handle:
        head = handle.read(12)
    if head.startswith(_AUDIO_MAGIC) or head[4:8] == b"ftyp":
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0  # MPEG/ADTS frame sync
