"""What a library file says about itself: its tags (mutagen), or its file and folder names when it has none.

Untagged libraries are usually laid out ``Artist/Album/01 Title.ext``, so the fallbacks read that
layout, and ``Artist - Title.ext`` for loose files. A file whose tags cannot be parsed still gets a
track from its names: unreadable tags must never keep a file out of the catalog (its audio may be fine).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

UNKNOWN_ARTIST = "Unknown Artist"
_TRACK_NUMBER = re.compile(r"^\s*(?:\d{1,3}[\s._-]+)+(?=\S)")  # "01 - ", "1.", "02_03 "
_GENRE_SEPARATORS = re.compile(r"\s*[;/\\]\s*")  # "Rock; Pop", "Rock/Pop"; a comma stays ("Rock, Paper")


@dataclass(frozen=True)
class FileTags:
    """The catalog fields of one file. ``title`` and ``artist`` are never empty (fallbacks fill them)."""

    title: str
    artist: str
    album: str | None = None
    album_artist: str | None = None
    date: str | None = None
    duration_ms: int | None = None
    genres: list[str] = field(default_factory=list)
    isrc: str | None = None
    recording_mbid: str | None = None
    artist_mbid: str | None = None
    tagged: bool = False
    """Whether title and artist came from the file's tags rather than from its names."""


def read_tags(path: Path, *, root: Path) -> FileTags:
    """Tags of ``path``, with names from its path below ``root`` where tags are missing."""
    raw, duration_ms = _mutagen_tags(path)
    title, artist = _first(raw, "title"), _first(raw, "artist")
    album = _first(raw, "album")
    guessed_title, guessed_artist, guessed_album = names_from_path(path, root=root)
    return FileTags(
        title=title or guessed_title,
        artist=artist or _first(raw, "albumartist") or guessed_artist,
        album=album or (guessed_album if not (title and artist) else None),
        album_artist=_first(raw, "albumartist"),
        date=_date(_first(raw, "date") or _first(raw, "originaldate")),
        duration_ms=duration_ms,
        genres=_genres(raw.get("genre", [])),
        isrc=_first(raw, "isrc"),
        recording_mbid=_first(raw, "musicbrainz_trackid"),
        artist_mbid=_first(raw, "musicbrainz_artistid"),
        tagged=bool(title and artist),
    )


def names_from_path(path: Path, *, root: Path) -> tuple[str, str, str | None]:
    """(title, artist, album) from ``Artist/Album/01 Title.ext`` or ``Artist - Title.ext`` below ``root``.

    Examples:
        >>> names_from_path(Path("/m/Nina Simone/Pastel Blues/03 - Be My Husband.flac"), root=Path("/m"))
        ('Be My Husband', 'Nina Simone', 'Pastel Blues')
        >>> names_from_path(Path("/m/Björk - Jóga.mp3"), root=Path("/m"))
        ('Jóga', 'Björk', None)
        >>> names_from_path(Path("/m/track07.ogg"), root=Path("/m"))
        ('track07', 'Unknown Artist', None)
    """
    stem = _TRACK_NUMBER.sub("", path.stem).strip() or path.stem
    folders = path.parent.relative_to(root).parts if path.is_relative_to(root) else ()
    artist, album = UNKNOWN_ARTIST, None
    if len(folders) >= 2:
        artist, album = folders[-2], folders[-1]
    elif len(folders) == 1:
        album = folders[-1]
    if " - " in stem and artist == UNKNOWN_ARTIST:
        left, right = (part.strip() for part in stem.split(" - ", 1))
        if left and right:
            return right, left, album
    return stem, artist, album


def _mutagen_tags(path: Path) -> tuple[Mapping[str, list[str]], int | None]:
    """Lower-case tag names to their string values, and the duration in ms (mutagen's "easy" view)."""
    import mutagen

    try:
        audio: Any = mutagen.File(path, easy=True)
    except Exception as exc:  # a third-party parser on untrusted bytes: any error means "no tags"
        log.debug("%s: tags unreadable (%s)", path, exc)
        return {}, None
    if audio is None:
        return {}, None
    length = getattr(getattr(audio, "info", None), "length", None)
    duration_ms = int(length * 1000) if isinstance(length, int | float) and length > 0 else None
    tags: dict[str, list[str]] = {}
    try:
        for key, values in (audio.tags or {}).items():
            if isinstance(key, str):
                items = values if isinstance(values, list) else [values]
                tags[key.lower()] = [str(v) for v in items if str(v).strip()]
    except Exception as exc:  # non-easy tag types (wav, aiff) iterate as frames: names will do
        log.debug("%s: tags not in a readable form (%s)", path, exc)
    return tags, duration_ms


def _first(tags: Mapping[str, list[str]], key: str) -> str | None:
    values = tags.get(key) or []
    return values[0].strip()[:1024] if values else None


def _date(text: str | None) -> str | None:
    """``2020``, ``2020-05`` or ``2020-05-01`` (ISO prefix of what the tag holds), or None."""
    if not text:
        return None
    match = re.match(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", text.strip())
    return match.group(0) if match else None


def _genres(values: list[str]) -> list[str]:
    found: dict[str, None] = {}
    for value in values:
        for part in _GENRE_SEPARATORS.split(value):
            if part.strip():
                found[part.strip().lower()] = None
    return list(found)
