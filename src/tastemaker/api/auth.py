"""Tokens: issued once, stored as a SHA-256 hash, sent as ``Authorization: Token …`` or ``Bearer …``.

A token carries scopes: ``read`` (GET/HEAD), ``write`` (every other method) and ``admin`` (another
user's data). ``authorize`` is the one place that maps a request to the scope it needs; every router
reaches it through ``principal_of`` (native, ListenBrainz, Spotify) or ``require_scope`` (Last.fm,
whose methods, not HTTP verbs, say whether they write). docs/security.md has the rules.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from tastemaker.errors import Forbidden, Unauthorized
from tastemaker.storage.models import User
from tastemaker.storage.store import Store

TOKEN_PREFIX = "tm_"
SCHEMES = ("token", "bearer")
READ, WRITE, ADMIN = "read", "write", "admin"
SCOPES = (READ, WRITE, ADMIN)
"""Every scope, in the order they are shown."""
DEFAULT_SCOPES = (READ, WRITE)
READ_METHODS = frozenset({"GET", "HEAD"})
_SECRETS = re.compile(
    r"tm_[A-Za-z0-9_-]{16,}|(?<=[?&])(token|key|sk|api_sig|password|authToken|client_secret)=[^&\s\"']*"
)
REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error", "litestar")
"""Loggers that may print a request line, whose query string can hold a credential (?token=, sk=)."""


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    scopes: frozenset[str]

    @property
    def admin(self) -> bool:
        """May touch every user's data (the ``admin`` scope)."""
        return ADMIN in self.scopes

    def require_user(self, user_id: str) -> None:
        if not self.admin and user_id != self.name:
            msg = f"token of {self.name!r} may not access user {user_id!r}"
            raise Forbidden(msg)

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            have = ", ".join(s for s in SCOPES if s in self.scopes) or "none"
            msg = (
                f"this token lacks the {scope!r} scope (it has: {have}); "
                f"issue one with: tastemaker users add {self.name} --rotate --scope {scope}"
            )
            raise Forbidden(msg)


def scope_for_method(method: str) -> str:
    """GET and HEAD read; every other method may change something, so it needs ``write``."""
    return READ if method.upper() in READ_METHODS else WRITE


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known scopes in canonical order; an unknown one is an error rather than silently dropped."""
    given = set(scopes)
    unknown = sorted(given - set(SCOPES))
    if unknown:
        msg = f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(SCOPES)}"
        raise ValueError(msg)
    return tuple(s for s in SCOPES if s in given)


def scopes_of(user: User) -> frozenset[str]:
    """The stored scopes; rows written before scopes existed carry the ``admin`` flag alone."""
    return frozenset(user.scopes) | ({ADMIN} if user.admin else set())


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _parse_header(header: str | None) -> str:
    if not header:
        msg = "missing Authorization header; send 'Authorization: Token <token>' (tastemaker users add NAME)"
        raise Unauthorized(msg)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not token.strip():
        msg = "Authorization header must be 'Token <token>' or 'Bearer <token>'"
        raise Unauthorized(msg)
    return token.strip()


def authenticate(header: str | None, store: Store, *, admin_token: str = "") -> Principal:
    """Who sent the request (401 if nobody known); ``authorize`` also checks what they may do."""
    token = _parse_header(header)
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(name="admin", scopes=frozenset(SCOPES))
    token_hash = hash_token(token)
    user = store.user_for_token_hash(token_hash)
    # A revoked user keeps its row with an empty hash: never let that (or a stale index row) match.
    if user is None or not user.token_hash or not hmac.compare_digest(user.token_hash, token_hash):
        msg = "token not recognised (revoked, rotated or mistyped)"
        raise Unauthorized(msg)
    return Principal(name=user.name, scopes=scopes_of(user))


def authorize(header: str | None, store: Store, *, method: str, admin_token: str = "") -> Principal:
    """Authenticate, then require the scope the HTTP ``method`` needs (403 naming it if missing)."""
    principal = authenticate(header, store, admin_token=admin_token)
    principal.require_scope(scope_for_method(method))
    return principal


def redact(text: str) -> str:
    """``text`` with every token and credential-bearing query value replaced by ``[redacted]``."""
    return _SECRETS.sub(lambda m: f"{m.group(1)}=[redacted]" if m.group(1) else "tm_[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments so no token or session key reaches a log handler.

    Tokens travel in headers, which nothing logs; but some clients must send them in the query
    (ListenBrainz ``?token=``, Last.fm ``sk``, Maloja ``key``), and a request line in an access log
    would carry them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


_FILTER = RedactSecrets()


def install_log_redaction() -> None:
    """Idempotent: put the filter on the loggers that may print a request line."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
