"""Extended M3U in UTF-8 (``.m3u8``), the playlist file every local player and media server reads.

Each track is ``#EXTINF:seconds,Artist - Title`` followed by where to play it: the local file's
absolute path when ``audio_url`` is a path or a file:// URL (library scans store these), else the
``audio_url`` itself when it is a stream URL. A track with no audio anywhere gets only a comment
line (``# not in the library: Artist - Title``): an ``#EXTINF`` without a location would be read as
belonging to the next track's file.
"""

from __future__ import annotations

from collections.abc import Sequence

from tastemaker.playlists_io.entries import Entry


def _one_line(text: str) -> str:
    """Names with line breaks would start a new playlist line."""
    return " ".join(text.split())


def to_m3u8(name: str, entries: Sequence[Entry]) -> str:
    """The playlist as M3U8 text (``#EXTINF`` seconds are -1 when the duration is unknown)."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(name)}"]
    for entry in entries:
        location = entry.local_path or entry.remote_url
        if location is None:
            lines.append(f"# not in the library: {_one_line(entry.label)}")
            continue
        seconds = round(entry.duration_ms / 1000) if entry.duration_ms is not None else -1
        lines.append(f"#EXTINF:{seconds},{_one_line(entry.label)}")
        lines.append(str(location))
    return "\n".join(lines) + "\n"
