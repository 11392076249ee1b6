"""One clear message when the optional ``nlp`` extra is missing, instead of a bare ImportError."""

from __future__ import annotations

import importlib
from types import ModuleType

from tastemaker.errors import ConfigError

INSTALL_HINT = "pip install 'tastemaker[nlp]'"


def optional_import(module: str) -> ModuleType:
    """Import ``module`` or raise ``ConfigError`` naming the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = f"the text models need {module!r}, which is not installed: {INSTALL_HINT}"
        raise ConfigError(msg) from exc
