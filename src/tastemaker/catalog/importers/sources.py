"""Finding and decoding export files, wherever the user left them.

People hand us what the service gave them: a single file, the unpacked folder, or the .zip itself.
This module turns all three into a list of ``SourceFile`` (found eagerly, so that a wrong path fails
before anything is written) whose bytes are read one file at a time (so memory stays bounded by the
largest file, not the whole export). JSON is parsed with msgspec for speed; only when that fails is it
parsed again with the standard library, whose errors carry the line and column the user needs.
"""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from tastemaker.catalog.importers.report import ImportFailed

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of an export: on disk, or a member of a zip. ``.gz`` files are decompressed on read."""

    label: str
    name: str
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        try:
            if self.member is None:
                data = self.path.read_bytes()
            else:
                with zipfile.ZipFile(self.path) as archive:
                    data = archive.read(self.member)
            if self.name.lower().endswith(".gz"):
                data = gzip.decompress(data)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError) as exc:
            # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile lacks.
            msg = f"{self.label}: cannot read: {exc}"
            raise ImportFailed(msg) from exc
        return data.removeprefix(_BOM)


def find_files(path: Path, *, accept: Callable[[str], bool], what: str, expected: str) -> list[SourceFile]:
    """The export files under ``path`` whose base name ``accept`` takes, sorted by name.

    A single file is returned whatever its name: the caller decides whether its content fits.
    """
    if not path.exists():
        msg = f"{path}: no such file or folder"
        raise ImportFailed(msg)
    if path.is_dir():
        found = [
            SourceFile(label=str(p), name=p.name, path=p)
            for p in sorted(path.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and accept(p.name)
        ]
        if not found:
            msg = f"{path}: found no {what} files in this folder; expected {expected}"
            raise ImportFailed(msg)
        return found
    if zipfile.is_zipfile(path):
        return _zip_members(path, accept=accept, what=what, expected=expected)
    if path.suffix.lower() == ".zip":
        msg = f"{path}: not a valid zip file (is the download complete?)"
        raise ImportFailed(msg)
    return [SourceFile(label=str(path), name=path.name, path=path)]


def _zip_members(path: Path, *, accept: Callable[[str], bool], what: str, expected: str) -> list[SourceFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
    except (OSError, zipfile.BadZipFile) as exc:
        msg = f"{path}: cannot open the zip: {exc}"
        raise ImportFailed(msg) from exc
    found = []
    for member in names:
        pure = PurePosixPath(member)
        if member.endswith("/") or "__MACOSX" in pure.parts or pure.name.startswith("."):
            continue
        if accept(pure.name):
            found.append(SourceFile(label=f"{path}!{member}", name=pure.name, path=path, member=member))
    if not found:
        msg = f"{path}: the zip holds no {what} files; expected {expected}"
        raise ImportFailed(msg)
    return found


def _text(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{label}: not UTF-8 text (byte {exc.start}); is this really a JSON export?"
        raise ImportFailed(msg) from None


def load_json(data: bytes, label: str) -> Any:
    """The whole document; broken JSON raises ``ImportFailed`` naming the file, line and column."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        pass
    try:
        return json.loads(_text(data, label))
    except json.JSONDecodeError as exc:
        msg = f"{label}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise ImportFailed(msg) from None


def iter_json_lines(data: bytes, label: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file."""
    for lineno, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = msgspec.json.decode(line)
        except msgspec.DecodeError:
            try:
                value = json.loads(_text(line, f"{label}:{lineno}"))
            except json.JSONDecodeError as exc:
                msg = f"{label}: invalid JSON on line {lineno}, column {exc.colno}: {exc.msg}"
                raise ImportFailed(msg) from None
        yield lineno, value
