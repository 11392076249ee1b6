"""``tastemaker users``: accounts and their tokens (printed once, stored hashed)."""

from __future__ import annotations

import click

from tastemaker.accounts import create_user, list_accounts, revoke_token, rotate_token, set_scrobble_password
from tastemaker.api.auth import SCOPES, check_scopes, scopes_of
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.errors import TastemakerError
from tastemaker.platform import open_store
from tastemaker.storage.store import Store


def _open_store(ctx: click.Context) -> Store:
    return open_store(config_from(ctx))


@cli.group()
def users() -> None:
    """Create users and tokens. Tokens are printed once and stored only as a hash."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Every scope: read and write every user's data.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="What the token may do; repeat it (default: read and write).",
)
@click.option("--rotate", is_flag=True, help="Issue a new token for an existing user (revokes the old one).")
@click.pass_context
@friendly_errors
def add(ctx: click.Context, name: str, admin: bool, scopes: tuple[str, ...], rotate: bool) -> None:
    """Create user NAME and print its token alone on stdout."""
    if not name.strip() or len(name) > 256:
        msg = "NAME must be 1 to 256 characters"
        raise click.BadParameter(msg, param_hint="NAME")
    store = _open_store(ctx)
    try:
        token = create_user(store, name, admin=admin, rotate=rotate, scopes=scopes or None)
        user = store.get_user(name)
        shown = ", ".join(check_scopes(scopes_of(user))) if user is not None else ""
    finally:
        store.close()
    click.echo(f"user {name!r} ({shown}): token follows (shown once)", err=True)
    click.echo(token)


@users.command("rotate")
@click.argument("name")
@click.pass_context
@friendly_errors
def rotate(ctx: click.Context, name: str) -> None:
    """Print a new token for NAME with the same scopes; the old token stops working at once."""
    store = _open_store(ctx)
    try:
        token = rotate_token(store, name)
    finally:
        store.close()
    click.echo(f"user {name!r}: new token follows (shown once); the old one no longer works", err=True)
    click.echo(token)


@users.command("revoke")
@click.argument("name")
@click.pass_context
@friendly_errors
def revoke(ctx: click.Context, name: str) -> None:
    """Stop NAME's token (and Last.fm sessions) working; the account and its data stay (see rotate)."""
    store = _open_store(ctx)
    try:
        revoke_token(store, name)
    finally:
        store.close()
    click.echo(f"user {name!r}: token revoked; 'tastemaker users rotate {name}' issues a new one", err=True)


@users.command("list")
@click.pass_context
@friendly_errors
def list_users(ctx: click.Context) -> None:
    """One line per user: name, scopes, created (UTC), active/revoked; never a token or its hash."""
    store = _open_store(ctx)
    try:
        accounts = list(list_accounts(store))
    finally:
        store.close()
    for account in accounts:
        created = account.created_at.isoformat(timespec="seconds") if account.created_at else "-"
        state = "revoked" if account.revoked else "active"
        click.echo(f"{account.name}\t{','.join(account.scopes)}\t{created}\t{state}")


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
