"""Docs keep up with the code: every setting, CLI command and endpoint is documented."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli import cli
from tastemaker.config import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [s.name for s in SETTINGS if f"| `{s.name}` |" not in text]
    assert missing == []


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{full} "))
    return names


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [name for name in _commands(cli) if f"tastemaker {name}" not in text]
    assert missing == []


def test_every_endpoint_is_documented() -> None:
    text = (DOCS / "api.md").read_text()
    for path in (
        "POST /v1/events",
        "GET /v1/users/{user}/listens",
        "GET /v1/users/{user}/profile",
        "GET /v1/tracks/{id}",
        "GET /v1/tracks/{id}/audio-features",
        "GET /v1/audio-features?ids=",
        "GET /v1/tracks/{id}/audio-analysis",
        "GET /healthz",
        "GET /metrics",
        "/docs",
    ):
        assert path in text, path


def test_readme_gives_the_two_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
