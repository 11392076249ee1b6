"""``tastemaker users delete NAME`` and ``tastemaker users export NAME -o FILE.zip`` (docs/privacy.md).

Run ``delete`` against the data directory of the server, while it runs or not. The caches it clears
are this process's; a server running in another process drops its DJ sessions on restart and its
cached profile when evicted, so prefer ``DELETE /v1/users/{user}`` on a live server.
"""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli.base import config_from, friendly_errors
from tastemaker.cli.users import users
from tastemaker.platform import Platform, profile_params

_PLACES = {
    "account": "account (token, Last.fm sessions)",
    "log_events": "events in the event log",
    "archive_rows": "rows in the Parquet archive",
    "listens": "listens in the store",
    "profiles": "taste profiles",
    "playlists": "playlists",
    "recaps": "Wrapped recaps",
    "model_versions_rewritten": "model versions rewritten without them",
    "model_versions_deleted": "older model versions deleted",
    "cached_profiles": "cached profiles in this process",
}


@users.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@friendly_errors
def delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Forget NAME everywhere: account, event log, archive, store, model files (docs/privacy.md).

    Running it again is harmless, and finishes a delete that was interrupted."""
    if not yes:
        click.confirm(
            f"Delete everything held about {name!r} (listens, profile, playlists, recaps, account)? "
            "This cannot be undone",
            abort=True,
        )
    from tastemaker.privacy.forget import forget  # the model code (implicit): not on every CLI start

    with Platform.open(config_from(ctx)) as platform:
        report = forget(platform, name)
    for key, count in report.removed.items():
        click.echo(f"{count:>8}  {_PLACES.get(key, key)}")
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.found:
        click.echo(f"forgot {name!r}")
    else:
        click.echo(f"nothing was held about {name!r} (already deleted?)")


@users.command("export")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The zip to write (Spotify's privacy-export layout).",
)
@click.pass_context
@friendly_errors
def export(ctx: click.Context, name: str, output: Path) -> None:
    """Write everything held about NAME to a zip in Spotify's privacy-export layout."""
    config = config_from(ctx)
    from tastemaker.privacy.export import stream_export

    with Platform.open(config) as platform:
        chunks = stream_export(platform.store, name, params=profile_params(config))
        temporary = output.with_name(output.name + ".partial")
        size = 0
        with temporary.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
                size += len(chunk)
        temporary.replace(output)
    click.echo(f"wrote {output} ({size} bytes)")
