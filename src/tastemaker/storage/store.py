"""The Store contract: partition-key access only, so that every table maps onto one Cassandra table.

No method joins or scans on the serving path. Every backend passes ``tests/contracts/test_store.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User

PLAYLIST_KINDS = ("liked", "user", "discover-weekly", "daily-mix")
"""Every kind of playlist the platform writes (services/archiver.py, recommend/, api/routers/): the
export and ``forget_user`` on stores that can only reach a playlist by (user, kind) go through these,
so a new kind must be added here."""

FIRST_RECAP_YEAR = 2002
"""Events are not accepted before 2002-10-01 (events/validate.py), so no recap is older."""


def recap_years() -> range:
    """Every year a recap may exist for: from the first year events are accepted to next year."""
    return range(FIRST_RECAP_YEAR, datetime.now(UTC).year + 2)


@runtime_checkable
class Store(Protocol):
    """Tables and their partition keys:

    tracks/artists/albums by id · listens by (user, day) · listen_days by user · profiles by user ·
    playlists by (user, kind) · features by track · analyses by track · labels by track ·
    library files by path · users by name and by token hash.

    Writes are upserts and idempotent: writing the same row twice leaves one row. Every write
    method is durable when it returns.
    """

    # catalog
    def put_tracks(self, tracks: Sequence[Track]) -> None:
        """Upsert; a field that is None/empty in the new row keeps the stored value (merge)."""

    def get_track(self, track_id: str) -> Track | None: ...

    def get_tracks(self, track_ids: Iterable[str]) -> dict[str, Track]: ...

    def put_artists(self, artists: Sequence[Artist]) -> None: ...

    def get_artist(self, artist_id: str) -> Artist | None: ...

    def put_albums(self, albums: Sequence[Album]) -> None: ...

    def get_album(self, album_id: str) -> Album | None: ...

    # listening history
    def add_listens(self, listens: Sequence[Listen]) -> int:
        """Store listens, ignoring any (user_id, event_id) already stored; returns how many were new."""

    def listens(self, user_id: str, day: date) -> list[Listen]:
        """One user's listens of one UTC day, newest first."""

    def listen_days(self, user_id: str) -> list[tuple[date, int]]:
        """The UTC days a user listened, newest first, with the number of listens each."""

    # profiles (opaque bytes: the profiles context owns the format)
    def get_profile(self, user_id: str) -> bytes | None: ...

    def get_profiles(self, user_ids: Iterable[str]) -> dict[str, bytes]: ...

    def put_profiles(self, profiles: Mapping[str, bytes]) -> None: ...

    # generated and user playlists
    def put_playlists(self, playlists: Sequence[Playlist]) -> None:
        """Upsert by (user, kind, playlist_id), all in one durable write (batch jobs write thousands)."""

    def get_playlists(self, user_id: str, kind: str) -> list[Playlist]: ...

    # content intelligence
    def put_features(self, track_id: str, features: Mapping[str, Any]) -> None: ...

    def get_features(self, track_id: str) -> dict[str, Any] | None: ...

    def get_features_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The features rows of those tracks that have one (a multi-get by partition key)."""

    def put_analysis(self, track_id: str, data: bytes) -> None:
        """Store a track's audio analysis (opaque bytes: the audio context owns the format)."""

    def get_analysis(self, track_id: str) -> bytes | None: ...

    def put_labels(self, track_id: str, labels: Mapping[str, Any]) -> None: ...

    # Wrapped: partition key (user_id, year)
    def put_recaps(self, year: int, recaps: Mapping[str, bytes]) -> None:
        """Store (replace) each user's recap of the year (opaque JSON bytes owned by the wrapped context)."""

    def get_recap(self, user_id: str, year: int) -> bytes | None: ...

    def get_labels(self, track_id: str) -> dict[str, Any] | None: ...

    def get_labels_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The labels rows of those tracks that have one (a multi-get by partition key)."""

    # library scans
    def put_library_files(self, files: Sequence[LibraryFile]) -> None:
        """Upsert by path (the whole row is replaced)."""

    def get_library_file(self, path: str) -> LibraryFile | None: ...

    # accounts
    def put_user(self, user: User) -> None:
        """Create or replace a user; the previous token hash stops working."""

    def get_user(self, name: str) -> User | None: ...

    def user_for_token_hash(self, token_hash: str) -> User | None: ...

    def delete_user(self, name: str) -> bool: ...

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete everything held about one listener — listens and their day counts, profile,
        playlists of every kind, recaps of every year, the account and its token — and return how
        many rows went, per table (``listens``, ``profiles``, ``playlists``, ``recaps``, ``users``).

        Idempotent: a second call deletes nothing and returns zeros. Catalog rows (tracks, artists,
        features, labels, library files) are not a listener's data and stay (docs/privacy.md)."""

    def close(self) -> None: ...
