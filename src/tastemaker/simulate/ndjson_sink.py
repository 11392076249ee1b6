"""Events as NDJSON: one JSON object per line, exactly the shape ``POST /v1/events`` accepts.

A file is written under a temporary name and renamed into place by ``close``, so a file with the
final name is always complete. ``-`` (no path) writes to standard output.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from tastemaker.events.schema import Event
from tastemaker.simulate.sinks import SinkBase, SinkError


class NdjsonSink(SinkBase):
    """Write to ``path`` (atomically, on ``close``), or to standard output when ``path`` is None."""

    def __init__(self, path: Path | None, *, stream: BinaryIO | None = None) -> None:
        self.path = path
        self._encoder = msgspec.json.Encoder()
        self._partial = path.with_name(path.name + ".partial") if path else None
        if self._partial is not None:
            self._partial.parent.mkdir(parents=True, exist_ok=True)
            self._out: BinaryIO = self._partial.open("wb", buffering=1 << 20)
        else:
            self._out = stream or sys.stdout.buffer
        self.count = 0

    def write(self, events: Sequence[Event]) -> None:
        try:
            self._out.write(self._encoder.encode_lines(events))
        except OSError as exc:
            msg = f"cannot write {self.path or 'stdout'}: {exc}"
            raise SinkError(msg) from exc
        self.count += len(events)

    def close(self) -> None:
        try:
            self._out.flush()
            if self._partial is not None and self.path is not None:
                self._out.close()
                self._partial.replace(self.path)
        except OSError as exc:
            msg = f"cannot finish {self.path or 'stdout'}: {exc}"
            raise SinkError(msg) from exc

    def abort(self) -> None:
        if self._partial is None:
            return
        self._out.close()
        self._partial.unlink(missing_ok=True)
