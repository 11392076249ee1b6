"""The command group, its global options, and the helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from tastemaker import __version__
from tastemaker.config import SETTINGS, Config
from tastemaker.errors import TastemakerError

P = ParamSpec("P")
R = TypeVar("R")


def config_from(ctx: click.Context, **flags: Any) -> Config:
    """Settings with this command's flags on top of the group's (flag > env > file > default)."""
    merged = {**ctx.find_root().obj.get("flags", {}), **{k: v for k, v in flags.items() if v is not None}}
    return Config.load(merged, toml_path=ctx.find_root().obj.get("config_path"))


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one-line messages with exit status 1 (``--debug`` shows the traceback)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TastemakerError as exc:
            if click.get_current_context().find_root().obj.get("debug"):
                raise
            raise click.ClickException(str(exc)) from exc

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tastemaker")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the embedded databases [env TASTEMAKER_DATA_DIR; default ./tastemaker-data].",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (default ./tastemaker.toml, or env TASTEMAKER_CONFIG).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, config_path: Path | None, debug: bool) -> None:
    """Tastemaker: real-time listening events, Taste Profiles and recommendations you run yourself.

    Start with `tastemaker users add NAME --admin` and `tastemaker serve`; see `tastemaker COMMAND --help`.
    """
    ctx.ensure_object(dict)
    ctx.obj["flags"] = {"data_dir": str(data_dir)} if data_dir else {}
    ctx.obj["config_path"] = config_path
    ctx.obj["debug"] = debug


@cli.command()
@click.pass_context
@friendly_errors
def settings(ctx: click.Context) -> None:
    """Print every setting, its effective value and where it came from (secrets masked)."""
    config = config_from(ctx)
    width = max(len(s.name) for s in SETTINGS)
    for setting in SETTINGS:
        click.echo(f"{setting.name:<{width}}  {config.shown(setting.name)}  ({config.source(setting.name)})")
