"""Lyrics files as people keep them beside their music: ``Song.lrc`` (synchronised) or ``Song.txt``.

An LRC line is ``[mm:ss.xx]text``, possibly with several time tags (a repeated chorus) and word-level
``<mm:ss.xx>`` tags (enhanced LRC); header lines are ``[ar:Artist]``, ``[ti:Title]``, ``[length:…]``.
Only the sung text is kept.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from tastemaker.catalog.scan_files import AUDIO_SUFFIXES

LYRICS_SUFFIXES = (".lrc", ".txt")
_TIME_TAG = re.compile(r"\[\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?\]")
_WORD_TAG = re.compile(r"<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
_HEADER = re.compile(r"^\s*\[[A-Za-z#]+:[^\]]*\]\s*$")


def strip_lrc(text: str) -> str:
    """The lyrics of an LRC file without time tags and header lines."""
    lines: list[str] = []
    for raw in text.splitlines():
        if _HEADER.match(raw):
            continue
        line = _WORD_TAG.sub("", _TIME_TAG.sub("", raw)).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def read_lyrics(path: Path) -> str:
    """A file's lyrics as plain lines (UTF-8, with a BOM or not; undecodable bytes replaced)."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return strip_lrc(text) if path.suffix.lower() == ".lrc" else text.strip()


def find_lyrics_files(roots: list[Path]) -> list[Path]:
    """``.lrc`` and ``.txt`` files under each root (or the roots themselves), each once, sorted;
    hidden files and folders are left out as a library scan leaves them out."""
    found: set[Path] = set()
    for root in roots:
        candidates = [root] if root.is_file() else root.rglob("*")
        for path in candidates:
            hidden = root.is_dir() and any(part.startswith(".") for part in path.relative_to(root).parts)
            if path.is_file() and path.suffix.lower() in LYRICS_SUFFIXES and not hidden:
                found.add(path.resolve())
    return sorted(found)


def audio_beside(path: Path) -> list[Path]:
    """Audio files with the lyrics file's stem in its folder (``Song.flac`` for ``Song.lrc``)."""
    return sorted(
        sibling.resolve()
        for sibling in path.parent.glob(f"{glob.escape(path.stem)}.*")
        if sibling.suffix.lower() in AUDIO_SUFFIXES and sibling.stem == path.stem
    )
