"""Labelers by name, so the CLI and configuration pick them by name and new ones plug in.

A factory takes keyword options (the LLM labeler's endpoint) and ignores the ones it has no use for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tastemaker.annotate.labeler import Labeler
from tastemaker.errors import TastemakerError

DEFAULT = ("audio", "text", "playlists", "era")
"""What a run uses unless told otherwise; the LLM labeler is asked for by name: it calls a remote
endpoint once per track."""

Factory = Callable[..., Labeler]
_FACTORIES: dict[str, Factory] = {}


class UnknownLabeler(TastemakerError):
    """A labeler name nobody registered."""


def register(name: str, factory: Factory) -> None:
    _FACTORIES[name] = factory


def names() -> list[str]:
    _builtin()
    return list(_FACTORIES)


def create(name: str, **options: Any) -> Labeler:
    _builtin()
    factory = _FACTORIES.get(name)
    if factory is None:
        msg = f"unknown labeler {name!r}; known: {', '.join(_FACTORIES)}"
        raise UnknownLabeler(msg)
    return factory(**options)


def _builtin() -> None:
    """Register the built-ins on first use: importing them (httpx, the text models) waits till then."""
    if _FACTORIES:
        return
    from tastemaker.annotate import audio, era, llm, playlists, text

    register("audio", lambda **_: audio.AudioLabeler())
    register("text", lambda **_: text.TextLabeler())
    register("playlists", lambda **_: playlists.PlaylistLabeler())
    register("era", lambda **_: era.EraLabeler())
    register(
        "llm",
        lambda *, llm_url="", llm_model="", llm_api_key="", llm_timeout_s=20.0, **_: llm.LLMLabeler(
            url=llm_url, model=llm_model, api_key=llm_api_key, timeout_s=llm_timeout_s
        ),
    )
