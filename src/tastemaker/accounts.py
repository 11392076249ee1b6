"""Accounts and their tokens: create, rotate, revoke, list; shared by the CLI, the demo API and tests.

Here rather than in the CLI so that the API never imports ``tastemaker.cli``. A token is returned
once and only its SHA-256 is stored; nothing here ever returns a stored hash to a caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from tastemaker.api.auth import ADMIN, DEFAULT_SCOPES, SCOPES, check_scopes, hash_token, new_token, scopes_of
from tastemaker.errors import TastemakerError
from tastemaker.storage.models import User
from tastemaker.storage.store import Store


@dataclass(frozen=True, slots=True)
class Account:
    """What ``users list`` shows: no token, no hash."""

    name: str
    scopes: tuple[str, ...]
    created_at: datetime | None
    revoked: bool


def _scopes(admin: bool, scopes: Collection[str] | None) -> tuple[str, ...]:
    try:
        chosen = check_scopes(scopes or DEFAULT_SCOPES)
    except ValueError as exc:
        raise TastemakerError(str(exc)) from None
    return tuple(SCOPES) if admin else chosen


def create_user(
    store: Store,
    name: str,
    *,
    admin: bool = False,
    rotate: bool = False,
    scopes: Collection[str] | None = None,
) -> str:
    """Create (or with ``rotate`` re-issue) a user's token; returns the token, which is not stored.

    ``admin`` means every scope. Re-issuing keeps the user's scopes unless ``admin``/``scopes`` say
    otherwise, and keeps the scrobble password and Last.fm sessions.
    """
    existing = store.get_user(name)
    if existing is not None and not rotate:
        msg = f"user {name!r} already exists; pass --rotate to issue a new token (the old one stops working)"
        raise TastemakerError(msg)
    token = new_token()
    if existing is not None and not admin and scopes is None:
        chosen = check_scopes(scopes_of(existing))
    else:
        chosen = _scopes(admin, scopes)
    user = existing or User(name=name, token_hash="", created_at=datetime.now(UTC))
    store.put_user(
        msgspec.structs.replace(
            user, token_hash=hash_token(token), admin=ADMIN in chosen, scopes=list(chosen)
        )
    )
    return token


def _existing(store: Store, name: str) -> User:
    user = store.get_user(name)
    if user is None:
        msg = f"no user {name!r}; create it first with: tastemaker users add {name}"
        raise TastemakerError(msg)
    return user


def rotate_token(store: Store, name: str) -> str:
    """A new token with the same scopes; the old one stops working at once."""
    _existing(store, name)
    return create_user(store, name, rotate=True)


def revoke_token(store: Store, name: str) -> None:
    """The token and Last.fm sessions stop working; the account, its scopes and its data stay.

    The scrobble password goes too, so a revoked user cannot open a new Last.fm session with it;
    ``rotate`` issues a new token and ``scrobble-password`` a new password.
    """
    user = _existing(store, name)
    store.put_user(
        msgspec.structs.replace(user, token_hash="", lastfm_session_hashes=[], scrobble_password_md5=None)
    )


def list_accounts(store: Store) -> Iterator[Account]:
    """Every account in name order (needs a backend that can list rows: SQLite)."""
    from tastemaker.storage.migrate import MirroredStore  # both only for this command: not on every start
    from tastemaker.storage.rows import Exportable

    if isinstance(store, MirroredStore):  # list from the store that reads are served from
        store = store._stores()[2]
    if not isinstance(store, Exportable):
        msg = f"{type(store).__name__} cannot list its users; users list needs the SQLite backend"
        raise TastemakerError(msg)
    cursor: str | None = None
    while True:
        batch = store.export_rows("users", cursor, 500)
        for user in batch.rows:
            yield Account(
                name=user.name,
                scopes=check_scopes(scopes_of(user)),
                created_at=user.created_at,
                revoked=not user.token_hash,
            )
        if batch.cursor is None:
            return
        cursor = batch.cursor


def set_scrobble_password(store: Store, name: str, password: str) -> None:
    """Store md5(password) (the Last.fm protocol needs it) and end the user's Last.fm sessions."""
    from tastemaker.api.routers.lastfm_auth import md5_hex  # the web framework: not on every CLI start

    user = _existing(store, name)
    store.put_user(
        msgspec.structs.replace(user, scrobble_password_md5=md5_hex(password), lastfm_session_hashes=[])
    )
