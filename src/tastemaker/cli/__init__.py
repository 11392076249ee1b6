"""The ``tastemaker`` command: thin click commands that call into the bounded contexts."""

from __future__ import annotations

from tastemaker.cli import analyze, demo, imports, scan, serve, simulate, users  # noqa: F401  (registers the commands)
from tastemaker.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(obj={}, prog_name="tastemaker")
