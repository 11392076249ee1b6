"""The ``tastemaker`` command: thin click commands that call into the bounded contexts."""

from __future__ import annotations

from tastemaker.cli import (  # noqa: F401  (registers the commands)
    analyze,
    demo,
    imports,
    playlists,
    scan,
    serve,
    simulate,
    train,
    users,
)
from tastemaker.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(obj={}, prog_name="tastemaker")
