"""Harness: bytes as an audio file (its suffix picked by the first byte) through the decoder the scanner
and ``tastemaker analyze`` use. Expected failures are ``AudioError`` (not audio, empty, silent, too
long); anything else that escapes is a crash (a scan would stop on that file)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a")


def load() -> Callable[[bytes], None]:
    from tastemaker.audio.decode import AudioError, decode

    folder = Path(tempfile.mkdtemp(prefix="fuzz-audio-"))

    def one_input(data: bytes) -> None:
        if not data:
            return
        path = folder / f"input{SUFFIXES[data[0] % len(SUFFIXES)]}"
        path.write_bytes(data[1:])
        try:
            decode(path, max_duration_s=30.0)
        except AudioError:
            return
        finally:
            path.unlink()

    return one_input


if __name__ == "__main__":
    from tests.fuzz._atheris import fuzz

    fuzz(load)
