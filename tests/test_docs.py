"""Docs keep up with the code: every setting, CLI command and endpoint is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tastemaker.api.app import create_app
from tastemaker.cli import cli
from tastemaker.config import SETTINGS
from tastemaker.platform import Platform

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


def test_every_endpoint_is_documented(platform: Platform) -> None:
    """Every route the app serves appears as `METHOD /path` (path parameters by any name) in docs/api.md,
    or, for the compatibility APIs, in their page under docs/integrations/."""

    def normalised(text: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", text)

    pages = [DOCS / "api.md", *sorted((DOCS / "integrations").glob("*.md"))]
    text = normalised("\n".join(page.read_text() for page in pages))
    app = create_app(platform, run_consumers=False)
    served = {
        f"{method} {normalised(route.path)}"
        for route in app.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS") and not route.path.startswith("/docs")
    }
    assert len(served) >= 10  # the routes were found at all
    assert sorted(endpoint for endpoint in served if endpoint not in text) == []
    assert "/docs" in text


def test_readme_gives_the_two_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
