"""``tastemaker users``: accounts and their tokens (printed once, stored hashed)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import msgspec

from tastemaker.api.auth import hash_token, new_token
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.errors import TastemakerError
from tastemaker.platform import open_store
from tastemaker.storage.models import User
from tastemaker.storage.store import Store


def _open_store(ctx: click.Context) -> Store:
    return open_store(config_from(ctx))


def create_user(store: Store, name: str, *, admin: bool, rotate: bool) -> str:
    """Create (or with ``rotate`` re-issue) a user's token; returns the token, which is not stored."""
    existing = store.get_user(name)
    if existing is not None and not rotate:
        msg = f"user {name!r} already exists; pass --rotate to issue a new token (the old one stops working)"
        raise TastemakerError(msg)
    token = new_token()
    is_admin = admin or (existing.admin if existing else False)
    user = User(name=name, token_hash=hash_token(token), admin=is_admin, created_at=datetime.now(UTC))
    if existing is not None:  # a new token keeps the scrobble password and Last.fm sessions
        user = msgspec.structs.replace(existing, token_hash=user.token_hash, admin=is_admin)
    store.put_user(user)
    return token


def set_scrobble_password(store: Store, name: str, password: str) -> None:
    """Store md5(password) (the Last.fm protocol needs it) and end the user's Last.fm sessions."""
    from tastemaker.api.routers.lastfm_auth import md5_hex  # the web framework: not on every CLI start

    user = store.get_user(name)
    if user is None:
        msg = f"no user {name!r}; create it first with: tastemaker users add {name}"
        raise TastemakerError(msg)
    store.put_user(
        msgspec.structs.replace(user, scrobble_password_md5=md5_hex(password), lastfm_session_hashes=[])
    )


@cli.group()
def users() -> None:
    """Create users and tokens. Tokens are printed once and stored only as a hash."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May read and write every user's data.")
@click.option("--rotate", is_flag=True, help="Issue a new token for an existing user (revokes the old one).")
@click.pass_context
@friendly_errors
def add(ctx: click.Context, name: str, admin: bool, rotate: bool) -> None:
    """Create user NAME and print its token alone on stdout."""
    if not name.strip() or len(name) > 256:
        msg = "NAME must be 1 to 256 characters"
        raise click.BadParameter(msg, param_hint="NAME")
    store = _open_store(ctx)
    try:
        token = create_user(store, name, admin=admin, rotate=rotate)
    finally:
        store.close()
    click.echo(f"{'admin ' if admin else ''}user {name!r}: token follows (shown once)", err=True)
    click.echo(token)


@users.command("remove")
@click.argument("name")
@click.pass_context
@friendly_errors
def remove(ctx: click.Context, name: str) -> None:
    """Delete user NAME's account; its token stops working (listening history is kept)."""
    store = _open_store(ctx)
    try:
        if not store.delete_user(name):
            msg = f"no user {name!r}"
            raise TastemakerError(msg)
    finally:
        store.close()
    click.echo(f"removed user {name!r}", err=True)


@users.command("scrobble-password")
@click.argument("name")
@click.password_option(
    "--password", prompt="Scrobble password", help="Read from a prompt (or stdin) when not given."
)
@click.pass_context
@friendly_errors
def scrobble_password(ctx: click.Context, name: str, password: str) -> None:
    """Set user NAME's scrobble password for Last.fm-compatible clients; ends its Last.fm sessions."""
    if not password:
        msg = "the password must not be empty"
        raise click.BadParameter(msg, param_hint="--password")
    store = _open_store(ctx)
    try:
        set_scrobble_password(store, name, password)
    finally:
        store.close()
    click.echo(f"user {name!r}: scrobble password set; log clients in again", err=True)
