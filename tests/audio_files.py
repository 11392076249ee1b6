"""Real audio files for tests, synthesised on the fly (no binary fixtures in the repo).

``write_music`` makes a short loop with a kick on every beat, a hi-hat on the off-beats and a sustained
triad, at a chosen tempo and key, so tests can check that tempo and key come back. Formats go through
soundfile (wav/flac/ogg) or PyAV (mp3/m4a), the same libraries the decoder uses to read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RATE = 44100


def music_signal(
    seconds: float = 12.0,
    *,
    bpm: float = 120.0,
    tonic: int = 0,
    minor: bool = False,
    rate: int = RATE,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Drums and a triad on ``tonic`` (pitch class, 0 = C): tempo and key are known by construction."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    beat = 60.0 / bpm
    kick = np.sin(2 * np.pi * 55 * np.arange(int(0.15 * rate)) / rate) * np.exp(
        -np.arange(int(0.15 * rate)) / (0.04 * rate)
    )
    hat = rng.standard_normal(int(0.05 * rate)) * np.exp(-np.arange(int(0.05 * rate)) / (0.01 * rate)) * 0.3
    for k in range(int(seconds / beat)):
        start = int(k * beat * rate)
        out[start : start + len(kick)] += kick[: n - start]
        off = int((k + 0.5) * beat * rate)
        if off < n:
            out[off : off + len(hat)] += hat[: n - off]
    third = 3 if minor else 4
    for semitone in (0, third, 7):
        freq = 261.63 * 2 ** (((tonic + semitone) % 12) / 12)
        for harmonic, gain in ((1, 0.2), (2, 0.08), (3, 0.04)):
            out += gain * np.sin(2 * np.pi * freq * harmonic * t)
    bass = 65.41 * 2 ** (tonic / 12)
    out += 0.15 * np.sin(2 * np.pi * bass * t)
    signal: npt.NDArray[np.float32] = (0.5 * out / np.max(np.abs(out))).astype(np.float32)
    return signal


def write_audio(path: Path, signal: npt.NDArray[np.float32], *, rate: int = RATE) -> Path:
    """Write by suffix: wav/flac/ogg through soundfile, mp3/m4a through PyAV."""
    suffix = path.suffix.lower()
    if suffix in (".wav", ".flac", ".ogg"):
        import soundfile

        subtype = {"ogg": "VORBIS"}.get(suffix[1:])
        soundfile.write(path, signal, rate, subtype=subtype)
        return path
    import av

    codec = {".mp3": "libmp3lame", ".m4a": "aac"}[suffix]
    with av.open(str(path), mode="w") as container:
        stream: Any = container.add_stream(codec, rate=rate, layout="mono")  # an AudioStream
        frame_size = 1152 if codec == "libmp3lame" else 1024
        for start in range(0, len(signal), frame_size):
            chunk = signal[start : start + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_music(
    path: Path,
    seconds: float = 12.0,
    *,
    bpm: float = 120.0,
    tonic: int = 0,
    minor: bool = False,
    seed: int = 0,
) -> Path:
    return write_audio(path, music_signal(seconds, bpm=bpm, tonic=tonic, minor=minor, seed=seed))
