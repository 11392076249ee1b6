"""Which files a library scan looks at, and which of them it can skip.

A file is identified by its resolved absolute path, so two overlapping folders, or a folder reached
through a symlink, never make one file count twice. Hidden files and folders (a leading ``.``) are
left out: they are macOS resource forks (``._01 Song.mp3``), editor backups and trash, not music.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tastemaker.audio import model
from tastemaker.storage.models import LibraryFile

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset(
    {".mp3", ".flac", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".aiff", ".aif"}
)


@dataclass(frozen=True)
class FoundFile:
    path: Path
    """Absolute and resolved: the key of its ``LibraryFile`` row and the track's ``audio_url``."""
    root: Path
    """The folder it was found under (names of the folders between the two stand in for missing tags)."""
    size: int
    mtime_ns: int


def walk(roots: Iterable[Path]) -> Iterator[FoundFile]:
    """Audio files under each root (a root may also be one file), each once, in sorted order."""
    seen: set[Path] = set()
    for given in roots:
        root = given.resolve()
        paths = [root] if root.is_file() else _audio_below(root)
        for path in paths:
            resolved = path.resolve()
            if resolved in seen or resolved.suffix.lower() not in AUDIO_SUFFIXES:
                continue
            seen.add(resolved)
            try:
                stat = resolved.stat()
            except OSError as exc:  # vanished or unreadable between listing and stat
                log.warning("%s: skipped (%s)", resolved, exc)
                continue
            yield FoundFile(
                path=resolved,
                root=root if root.is_dir() else root.parent,
                size=stat.st_size,
                mtime_ns=stat.st_mtime_ns,
            )


def _audio_below(root: Path) -> Iterator[Path]:
    def report(exc: OSError) -> None:
        log.warning("%s: cannot list (%s)", exc.filename, exc.strerror)

    for folder, dirs, files in os.walk(root, onerror=report):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES:
                yield Path(folder, name)


def is_unchanged(found: FoundFile, previous: LibraryFile | None, *, analysis: bool) -> bool:
    """Whether the last scan already did everything this one would do for ``found``.

    Same size and modification time means the same bytes (tag editors rewrite the file, so they
    change both). With analysis on, the stored result must also come from the current algorithm
    version; a failure counts as a result (retried only when the algorithm or the file changes).
    """
    if previous is None or (previous.size, previous.mtime_ns) != (found.size, found.mtime_ns):
        return False
    return not analysis or previous.algorithm_version == model.ALGORITHM_VERSION
