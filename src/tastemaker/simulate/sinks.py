"""Where simulated events go: the ``Sink`` contract, and ``open_sink`` to pick one from CLI words.

Sinks receive events in batches, in stream order, and must not hold more than a bounded number of
them (a row group, a few HTTP batches). ``close`` makes the output complete (files renamed into place,
every batch acknowledged); ``abort`` gives up and leaves no output that looks complete.

Built in: ``NdjsonSink`` (a file or stdout), ``ParquetSink`` (one file per day), ``HttpSink`` (POST
``/v1/events``) and ``NullSink`` (counts, for benchmarks).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from tastemaker.errors import TastemakerError
from tastemaker.events.schema import Event


class SinkError(TastemakerError):
    """A sink could not write: the server refused a batch, retries ran out, or a file failed."""


class Sink(Protocol):
    """A destination for a stream of events."""

    def write(self, events: Sequence[Event]) -> None:
        """Accept a batch; may buffer it, but only boundedly. Raises ``SinkError``."""

    def close(self) -> None:
        """Flush everything and make the output complete. Raises ``SinkError``."""

    def abort(self) -> None:
        """Stop without completing the output; never raises."""


class SinkBase:
    """Context-manager behaviour shared by the built-in sinks: close on success, abort on error."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class NullSink(SinkBase):
    """Counts events and drops them; for measuring the generator alone."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, events: Sequence[Event]) -> None:
        self.count += len(events)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def open_sink(to: str, target: str | None = None, *, token: str | None = None) -> Sink:
    """The sink the CLI names: ``("ndjson", "out.ndjson" | "-")``, ``("parquet", "DIR")``,
    ``("http://host:port", None, token=...)`` or ``("null", None)``."""
    if to.startswith(("http://", "https://")):
        if not token:
            msg = f"--to {to}: sending to the API needs --token (an admin token, to write for every user)"
            raise SinkError(msg)
        from tastemaker.simulate.http_sink import HttpSink

        return HttpSink(to, token=token)
    if to == "null":
        return NullSink()
    if to in ("ndjson", "parquet") and not target:
        msg = f"--to {to} needs a destination: a {'file (or - for stdout)' if to == 'ndjson' else 'folder'}"
        raise SinkError(msg)
    if to == "ndjson":
        from tastemaker.simulate.ndjson_sink import NdjsonSink

        return NdjsonSink(None if target == "-" else Path(str(target)))
    if to == "parquet":
        from tastemaker.simulate.parquet_sink import ParquetSink

        return ParquetSink(Path(str(target)))
    msg = f"--to {to!r}: expected ndjson, parquet, null, or an http(s):// URL of the API"
    raise SinkError(msg)
