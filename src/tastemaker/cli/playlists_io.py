"""``tastemaker playlists``: a stored playlist out to an M3U8/XSPF file or a Subsonic server."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import open_store
from tastemaker.playlists_io.entries import Entry, choose_playlist, display_name, playlist_entries
from tastemaker.playlists_io.m3u import to_m3u8
from tastemaker.playlists_io.subsonic import SubsonicClient, push_playlist
from tastemaker.playlists_io.xspf import to_xspf
from tastemaker.storage.store import Store

KIND_HELP = "discover-weekly, daily-mix, liked or user"
MAX_LISTED = 20


def _load(ctx: click.Context, user: str, kind: str, playlist_id: str | None) -> tuple[str, list[Entry]]:
    """The playlist's display name and its tracks, read from the Store."""
    store: Store = open_store(config_from(ctx))
    try:
        playlist = choose_playlist(store, user, kind, playlist_id)
        return display_name(playlist), playlist_entries(store, playlist)
    finally:
        store.close()


@cli.group("playlists")
def playlists() -> None:
    """Export a stored playlist as M3U8/XSPF, or push it to a Subsonic server (Navidrome, Airsonic)."""


@playlists.command("export")
@click.argument("user")
@click.argument("kind", metavar="KIND")
@click.option(
    "--playlist", "playlist_id", metavar="ID", help="Which playlist of that kind (default: newest)."
)
@click.option("--format", "fmt", type=click.Choice(["m3u8", "xspf"]), required=True, help="File format.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.pass_context
@friendly_errors
def export(
    ctx: click.Context, user: str, kind: str, playlist_id: str | None, fmt: str, output: Path | None
) -> None:
    """Write USER's KIND playlist (discover-weekly, daily-mix, liked or user) as M3U8 or XSPF.

    Tracks scanned from a local library point at their files; see docs/integrations/subsonic.md."""
    name, entries = _load(ctx, user, kind, playlist_id)
    data = to_m3u8(name, entries).encode() if fmt == "m3u8" else to_xspf(name, entries)
    if output is None:
        click.echo(data, nl=False)
        return
    output.write_bytes(data)
    playable = sum(1 for e in entries if e.local_path or e.remote_url)
    click.echo(f"wrote {output}: {len(entries)} tracks, {playable} with audio", err=True)


@playlists.command("push")
@click.argument("user")
@click.argument("kind", metavar="KIND")
@click.option(
    "--playlist", "playlist_id", metavar="ID", help="Which playlist of that kind (default: newest)."
)
@click.option("--subsonic-url", required=True, help="The server's base URL, e.g. http://localhost:4533.")
@click.option("--subsonic-user", required=True, help="Your user name on that server.")
@click.option(
    "--subsonic-password",
    required=True,
    envvar="TASTEMAKER_SUBSONIC_PASSWORD",
    help="Your password there [env TASTEMAKER_SUBSONIC_PASSWORD]; only a salted hash is sent.",
)
@click.option("--name", help="Name of the playlist on the server (default: the playlist's name and id).")
@click.pass_context
@friendly_errors
def push(
    ctx: click.Context,
    user: str,
    kind: str,
    playlist_id: str | None,
    subsonic_url: str,
    subsonic_user: str,
    subsonic_password: str,
    name: str | None,
) -> None:
    """Create USER's KIND playlist on a Subsonic-API server, matching each track to a song there."""
    default_name, entries = _load(ctx, user, kind, playlist_id)
    with SubsonicClient(subsonic_url, subsonic_user, subsonic_password) as client:
        report = push_playlist(client, name or default_name, entries)
    where = f" as playlist {report.playlist_id}" if report.playlist_id else ""
    click.echo(
        f"created {name or default_name!r} on {subsonic_url}{where}: "
        f"{report.matched} of {len(entries)} tracks matched, {len(report.unmatched)} not found"
    )
    for entry in report.unmatched[:MAX_LISTED]:
        click.echo(f"  not found: {entry.label}", err=True)
    if len(report.unmatched) > MAX_LISTED:
        click.echo(f"  ... and {len(report.unmatched) - MAX_LISTED} more", err=True)
