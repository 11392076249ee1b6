"""Events as Parquet, one file per UTC day: ``DIR/date=YYYY-MM-DD/part-0.parquet``.

Columns: ``event_id``, ``type``, ``user_id``, ``ts`` (ms, UTC), ``track_id`` and ``ms_played`` (null
for events without them) and ``payload``, the event as the JSON the API accepts; DuckDB and Spark read
the folder as a dataset partitioned by ``date``. Rows are buffered per day and flushed in row groups
of ``row_group_rows``; a day's file is closed once the stream has moved two days past it (sessions
spill at most into the next morning), so memory stays at a few row groups. Files are written under a
temporary name and renamed into place by ``close``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from tastemaker.events.schema import Event
from tastemaker.simulate.sinks import SinkBase, SinkError

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("user_id", pa.string()),
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("track_id", pa.string()),
        ("ms_played", pa.int64()),
        ("payload", pa.string()),
    ]
)


class _DayFile:
    """One day's open writer and its buffered rows, kept as columns of plain values: buffering the
    event structs instead would leave the garbage collector scanning them (a quarter of the time)."""

    def __init__(self, final: Path, encoder: msgspec.json.Encoder) -> None:
        self.final = final
        self.partial = final.with_name(final.name + ".partial")
        final.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(self.partial, SCHEMA, compression="zstd")
        self.encoder = encoder
        self.columns: list[list[Any]] = [[] for _ in SCHEMA]

    @property
    def rows(self) -> int:
        return len(self.columns[0])

    def extend(self, events: Sequence[Event]) -> None:
        """Buffer events, building each column in one pass."""
        event_id, event_type, user_id, ts, track_id, ms_played, payload = self.columns
        event_id.extend([e.event_id for e in events])
        event_type.extend([e.__struct_config__.tag for e in events])
        user_id.extend([e.user_id for e in events])
        ts.extend([e.ts for e in events])
        track_id.extend([getattr(e, "track_id", None) for e in events])
        ms_played.extend([getattr(e, "ms_played", None) for e in events])
        payload.extend(self.encoder.encode_lines(events).split(b"\n")[:-1])  # JSON escapes newlines

    def flush(self) -> None:
        if self.rows:
            arrays = [pa.array(column, type=f.type) for column, f in zip(self.columns, SCHEMA, strict=True)]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=SCHEMA))
            self.columns = [[] for _ in SCHEMA]

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self.partial.replace(self.final)

    def abort(self) -> None:
        self.writer.close()
        self.partial.unlink(missing_ok=True)


class ParquetSink(SinkBase):
    """Write events under ``directory``, partitioned by the UTC date of their ``ts``."""

    def __init__(self, directory: Path, *, row_group_rows: int = 50_000) -> None:
        self.directory = directory
        self.row_group_rows = row_group_rows
        self._files: dict[date, _DayFile] = {}
        self._parts: dict[date, int] = {}
        self._encoder = msgspec.json.Encoder()
        self.count = 0

    def write(self, events: Sequence[Event]) -> None:
        try:
            days = [e.ts.date() for e in events]
            start = 0
            for end in range(1, len(events) + 1):  # runs of one day; a batch rarely has more than two
                if end == len(events) or days[end] != days[start]:
                    self._extend(days[start], events[start:end])
                    start = end
        except (OSError, pa.ArrowException) as exc:
            msg = f"cannot write Parquet under {self.directory}: {exc}"
            raise SinkError(msg) from exc
        self.count += len(events)

    def _extend(self, day: date, events: Sequence[Event]) -> None:
        file = self._files.get(day) or self._open(day)
        file.extend(events)
        if file.rows >= self.row_group_rows:
            file.flush()

    def _open(self, day: date) -> _DayFile:
        """Open ``day``'s file, closing days the stream has left behind."""
        for old in [d for d in self._files if d < day - timedelta(days=1)]:
            self._files.pop(old).close()
        part = self._parts.get(day, -1) + 1  # a day seen again after closing gets a new part
        self._parts[day] = part
        path = self.directory / f"date={day.isoformat()}" / f"part-{part}.parquet"
        file = self._files[day] = _DayFile(path, self._encoder)
        return file

    def close(self) -> None:
        try:
            for file in self._files.values():
                file.close()
        except (OSError, pa.ArrowException) as exc:
            msg = f"cannot finish Parquet under {self.directory}: {exc}"
            raise SinkError(msg) from exc
        self._files.clear()

    def abort(self) -> None:
        for file in self._files.values():
            with contextlib.suppress(OSError, pa.ArrowException):
                file.abort()
        self._files.clear()
