"""The small error hierarchy shared by every bounded context.

HTTP status codes are chosen in ``api/errors.py``; the domain only says what went wrong.
"""

from __future__ import annotations

from typing import Any


class TastemakerError(Exception):
    """Root of every error Tastemaker raises on purpose."""


class ConfigError(TastemakerError):
    """A setting is missing, malformed, or names a backend that is not installed."""


class InvalidEvent(TastemakerError):
    """An event failed validation; ``loc``/``type``/``msg`` say where, which rule and why."""

    def __init__(self, msg: str, *, loc: tuple[str | int, ...] = (), type: str = "invalid") -> None:
        super().__init__(msg)
        self.loc = loc
        self.type = type
        self.msg = msg

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "type": self.type, "msg": self.msg}


class BackendUnavailable(TastemakerError):
    """A backend could not be reached or opened (disk, network, lock)."""


class NotFound(TastemakerError):
    """The thing asked for does not exist."""


class Forbidden(TastemakerError):
    """The caller is authenticated but may not touch this user's data."""


class Unauthorized(TastemakerError):
    """No credentials, or credentials that match no user."""
