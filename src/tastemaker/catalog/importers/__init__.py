"""Importers: listening history from other services, turned into Tastemaker events.

Each source has a reader that only parses (``iter_spotify_events``, ``iter_listenbrainz_events``:
rows in, events or ``ImportProblem`` out, through the same ``parse_event`` as the HTTP API) and a
one-call entry point for the CLI (``import_spotify``, ``import_listenbrainz``) that hands the reader
to ``import_events``, the single place that appends to an EventLog. Event ids are hashes of the
source rows, so re-importing an export is a no-op; see docs/importing.md.
"""

from __future__ import annotations

from tastemaker.catalog.importers.listenbrainz import import_listenbrainz, iter_listenbrainz_events
from tastemaker.catalog.importers.report import ImportFailed, ImportProblem, ImportReport
from tastemaker.catalog.importers.runner import ImportItem, import_events
from tastemaker.catalog.importers.spotify import import_spotify, iter_spotify_events

__all__ = [
    "ImportFailed",
    "ImportItem",
    "ImportProblem",
    "ImportReport",
    "import_events",
    "import_listenbrainz",
    "import_spotify",
    "iter_listenbrainz_events",
    "iter_spotify_events",
]
