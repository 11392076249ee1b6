"""Where a track's audio comes from: a local path, a ``file://`` URL, or an ``http(s)://`` download
(``synth:`` URLs, synthesized demo audio, need no source: see ``audio/synth.py``).

Problems become ``AudioError`` with a kind of their own (``bad_url``, ``download_failed``), so the
catalog consumer records them exactly like a file that does not decode.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from tastemaker.audio.decode import AudioError
from tastemaker.catalog.scan_files import AUDIO_SUFFIXES

MAX_DOWNLOAD_BYTES = 1 << 30  # 1 GiB: a 30-minute WAV at 48 kHz, 24 bit, stereo is about 520 MB
DOWNLOAD_TIMEOUT_S = 30.0  # per network operation (connect, each read), not for the whole file
_CHUNK = 1 << 16


def local_path(audio_url: str) -> Path | None:
    """The local file ``audio_url`` names, or None for an http(s) URL.

    Examples:
        >>> local_path("file:///music/Blue%20Train.flac")
        PosixPath('/music/Blue Train.flac')
        >>> local_path("https://example.org/a.mp3") is None
        True
    """
    parts = urlsplit(audio_url)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        path = Path(unquote(parts.path))
    elif parts.scheme == "":
        path = Path(audio_url)
    else:
        msg = (
            f"unsupported URL {audio_url!r}: use an absolute path, a file:// URL, an http(s):// URL "
            "or a synth: URL"
        )
        raise AudioError(audio_url, "bad_url", msg)
    if not path.is_absolute():
        msg = "a relative path means nothing to a server; give an absolute path or a file:// URL"
        raise AudioError(audio_url, "bad_url", msg)
    return path


def download(url: str, folder: Path, *, name: str, max_bytes: int = MAX_DOWNLOAD_BYTES) -> tuple[Path, int]:
    """Stream ``url`` into ``folder/name`` plus the URL's audio suffix (the suffix picks the decoder);
    returns (path, size in bytes). The caller deletes the file when done with it."""
    import httpx

    suffix = Path(urlsplit(url).path).suffix.lower()
    target = folder / f"{name}{suffix if suffix in AUDIO_SUFFIXES else '.audio'}"
    size = 0
    try:
        with (
            httpx.stream("GET", url, follow_redirects=True, timeout=DOWNLOAD_TIMEOUT_S) as response,
            target.open("wb") as out,
        ):
            if response.status_code >= 400:
                raise AudioError(url, "download_failed", f"HTTP {response.status_code}")
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise AudioError(url, "download_failed", f"larger than the {max_bytes:,}-byte limit")
                out.write(chunk)
    except httpx.HTTPError as exc:
        target.unlink(missing_ok=True)
        raise AudioError(url, "download_failed", f"{type(exc).__name__}: {exc}") from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, size
