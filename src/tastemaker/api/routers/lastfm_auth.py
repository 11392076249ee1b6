"""Last.fm authentication: api_key, ``api_sig`` signatures, scrobble passwords and session keys.

The protocol fixes md5: clients send ``md5(password)`` or ``authToken = md5(username + md5(password))``,
so the server must keep ``md5(password)`` of a *scrobble password* (``tastemaker users scrobble-password``),
separate from the API token. Session keys are random; only their SHA-256 is stored, on the user row.
A session key carries its user's name (hex) after the secret part, because calls such as
``track.scrobble`` send only ``sk``, and the Store reaches users by name or API-token hash only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

import msgspec

from tastemaker.api.auth import hash_token
from tastemaker.api.routers.lastfm_wire import (
    AUTH_FAILED,
    INVALID_API_KEY,
    INVALID_PARAMETERS,
    INVALID_SESSION_KEY,
    INVALID_SIGNATURE,
    LastfmError,
)
from tastemaker.config import Config
from tastemaker.storage.models import User
from tastemaker.storage.store import Store

MAX_SESSIONS = 20
"""Session keys kept per user (one per device or client); the oldest is dropped beyond this."""
UNSIGNED = ("format", "callback", "api_sig")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def credentials(config: Config) -> tuple[str, str]:
    """The api_key and the shared secret clients must use (settings lastfm_api_key, lastfm_shared_secret)."""
    return str(config["lastfm_api_key"]), str(config["lastfm_shared_secret"])


def require(params: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not params.get(name)]
    if missing:
        msg = f"Invalid parameters - missing {', '.join(missing)}"
        raise LastfmError(INVALID_PARAMETERS, msg)
    return [params[name] for name in names]


def check_api_key(params: Mapping[str, str], api_key: str) -> None:
    given = params.get("api_key", "")
    if not given or not hmac.compare_digest(given.encode(), api_key.encode()):
        msg = "Invalid API key - you must use the api_key configured on this Tastemaker server"
        raise LastfmError(INVALID_API_KEY, msg)


def signature(params: Mapping[str, str], secret: str) -> str:
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name not in UNSIGNED)
    return md5_hex(text + secret)


def check_signature(params: Mapping[str, str], secret: str) -> None:
    given = params.get("api_sig", "").lower()
    if not given or not hmac.compare_digest(given.encode(), signature(params, secret).encode()):
        msg = "Invalid method signature supplied (md5 of the sorted parameters and the shared secret)"
        raise LastfmError(INVALID_SIGNATURE, msg)


def password_matches(user: User, params: Mapping[str, str]) -> bool:
    """``password`` (plain, as Last.fm's mobile clients send it) or ``authToken`` (pylast, older clients)."""
    stored = user.scrobble_password_md5
    if not stored:
        return False
    if params.get("password"):
        return hmac.compare_digest(md5_hex(params["password"]).encode(), stored.encode())
    expected = md5_hex(user.name + stored)
    return hmac.compare_digest(params.get("authToken", "").lower().encode(), expected.encode())


def open_session(store: Store, params: Mapping[str, str]) -> tuple[str, str]:
    """auth.getMobileSession: check the scrobble password, store a new session key's hash."""
    username = require(params, "username")[0]
    if not (params.get("password") or params.get("authToken")):
        raise LastfmError(INVALID_PARAMETERS, "Invalid parameters - send password or authToken")
    user = store.get_user(username)
    if user is None or not password_matches(user, params):
        msg = "Authentication Failed - unknown user or wrong scrobble password (see users scrobble-password)"
        raise LastfmError(AUTH_FAILED, msg)
    key = secrets.token_hex(16) + username.encode().hex()
    sessions = [*user.lastfm_session_hashes, hash_token(key)][-MAX_SESSIONS:]
    store.put_user(msgspec.structs.replace(user, lastfm_session_hashes=sessions))
    return user.name, key


def session_user(store: Store, key: str) -> User:
    """The user a session key belongs to, or error 9."""
    user = None
    try:
        name = bytes.fromhex(key[32:]).decode()
    except ValueError:
        name = ""
    if name:
        user = store.get_user(name)
    if user is None or hash_token(key) not in user.lastfm_session_hashes:
        raise LastfmError(INVALID_SESSION_KEY, "Invalid session key - please re-authenticate")
    return user
