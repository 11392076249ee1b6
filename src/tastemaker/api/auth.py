"""Tokens: issued once, stored as a SHA-256 hash, sent as ``Authorization: Token …`` or ``Bearer …``.

A user token reads and writes only its own user; an admin token may do all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from tastemaker.errors import Forbidden, Unauthorized
from tastemaker.storage.store import Store

TOKEN_PREFIX = "tm_"
SCHEMES = ("token", "bearer")


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    admin: bool

    def require_user(self, user_id: str) -> None:
        if not self.admin and user_id != self.name:
            msg = f"token of {self.name!r} may not access user {user_id!r}"
            raise Forbidden(msg)


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
    token = _parse_header(header)
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(name="admin", admin=True)
    user = store.user_for_token_hash(hash_token(token))
    if user is None:
        msg = "token not recognised (revoked, rotated or mistyped)"
        raise Unauthorized(msg)
    return Principal(name=user.name, admin=user.admin)
