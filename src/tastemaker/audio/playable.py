"""A file the player can stream for a track's ``audio_url``: the local file itself, or a ``synth:``
track rendered once and cached as Ogg Vorbis.

The API's ``GET /v1/tracks/{id}/stream`` serves what this returns (with HTTP ranges), so the file
must be complete whenever its name exists: a render is written to a temporary file in the cache
folder and renamed into place, and two requests rendering the same track at once each rename a
whole file (the last one wins, and both are identical). Remote ``http(s)`` audio is not proxied:
the API redirects to it instead.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tastemaker.audio.synth import is_synth_url, parse_synth_url, render
from tastemaker.catalog.scan_sources import local_path
from tastemaker.errors import NotFound, TastemakerError

PLAYABLE_RATE = 22050
"""Sample rate of rendered demo audio: the synth has nothing above 11 kHz worth the bytes."""
VORBIS_QUALITY = 0.4
"""libsndfile's Vorbis quality 0–1 (about 64 kbit/s mono at 0.4): plenty for a synth."""
WRITE_BLOCK = 1 << 15
"""Frames per write: libsndfile 1.2's Vorbis encoder crashes the process on one very large write."""


class RemoteAudio(TastemakerError):
    """The audio lives at an http(s) URL: the caller should send the client there, not proxy it."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: remote audio is not served from here; fetch it from its URL")
        self.url = url


def playable_file(audio_url: str, cache_dir: Path) -> Path:
    """A local, complete audio file for ``audio_url``.

    An absolute path or ``file://`` URL gives that file (``NotFound`` when it is missing); a
    ``synth:`` URL gives ``cache_dir/<sha256 of the URL>.ogg``, rendered on first use;
    ``http(s)://`` raises ``RemoteAudio``; any other URL raises ``AudioError`` (``bad_url``).

    Examples:
        >>> url = "synth:?tempo=120&key=0&mode=1&energy=0.5&seed=1&duration=2"
        >>> with tempfile.TemporaryDirectory() as cache:
        ...     playable_file(url, Path(cache)).name == cache_name(url)
        True
    """
    if is_synth_url(audio_url):
        return _rendered(audio_url, cache_dir)
    if urlsplit(audio_url).scheme in ("http", "https"):
        raise RemoteAudio(audio_url)
    path = local_path(audio_url)
    if path is None or not path.is_file():
        msg = f"the audio file of {audio_url!r} does not exist (moved or deleted since it was added?)"
        raise NotFound(msg)
    return path


def cache_name(audio_url: str) -> str:
    """The cache file name of a rendered URL: its SHA-256, so any URL makes a safe, fixed-size name."""
    return hashlib.sha256(audio_url.encode()).hexdigest() + ".ogg"


def _rendered(audio_url: str, cache_dir: Path) -> Path:
    params = parse_synth_url(audio_url)  # a bad URL fails before anything is written
    target = cache_dir / cache_name(audio_url)
    if target.is_file():
        return target
    import soundfile

    cache_dir.mkdir(parents=True, exist_ok=True)
    samples = render(params, sample_rate=PLAYABLE_RATE)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".render-", suffix=".ogg")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            soundfile.SoundFile(
                out,
                mode="w",
                samplerate=PLAYABLE_RATE,
                channels=1,
                format="OGG",
                subtype="VORBIS",
                compression_level=1.0 - VORBIS_QUALITY,
            ) as sound,
        ):
            for start in range(0, len(samples), WRITE_BLOCK):
                sound.write(samples[start : start + WRITE_BLOCK])
        Path(temporary).replace(target)  # atomic: readers see no file or the whole file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
