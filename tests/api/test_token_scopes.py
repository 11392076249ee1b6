"""Token scopes (read, write, admin), revocation and rotation, over real HTTP and the real CLI."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import msgspec
import pytest
from click.testing import CliRunner

from tastemaker.accounts import create_user, revoke_token, rotate_token, set_scrobble_password
from tastemaker.api.auth import Principal, authenticate, hash_token, scope_for_method, scopes_of
from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.errors import Forbidden, Unauthorized
from tastemaker.storage.models import User
from tests.api.test_lastfm_api import call as lastfm_call
from tests.conftest import LiveServer

PLAY = {"type": "play", "ts": "2025-03-01T12:00:00Z", "track_name": "Song", "artist_name": "Artist"}
LB_LISTEN = {
    "listen_type": "single",
    "payload": [{"listened_at": 1_740_830_400, "track_metadata": {"artist_name": "A", "track_name": "T"}}],
}


def events(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/events", json={"events": [PLAY]})


def test_read_only_token_reads_but_cannot_write_anywhere(live_server: LiveServer) -> None:
    reader = create_user(live_server.platform.store, "reader", scopes=["read"])
    with live_server.client(reader) as client:
        assert client.get("/v1/me").status_code == 200
        assert client.get("/v1/users/reader/listens").json()["total"] == 0
        refused = events(client)
        assert refused.status_code == 403
        body = refused.json()
        assert body["ok"] is False and "'write' scope" in body["error"] and "read" in body["error"]
        submit = client.post("/1/submit-listens", json=LB_LISTEN)
        assert submit.status_code == 403 and "'write' scope" in submit.text
        feedback = client.post("/1/feedback/recording-feedback", json={"recording_mbid": "x", "score": 1})
        assert feedback.status_code == 403
        assert client.get("/1/user/reader/listens").status_code == 200
    maloja = httpx.post(
        f"{live_server.url}/apis/mlj_1/newscrobble", json={"key": reader, "artist": "A", "title": "T"}
    )
    assert maloja.status_code == 403 and "'write' scope" in maloja.text
    live_server.wait_consumers()
    assert live_server.platform.store.listen_days("reader") == []


def test_read_only_user_cannot_scrobble_through_lastfm(live_server: LiveServer) -> None:
    create_user(live_server.platform.store, "reader", scopes=["read"])
    set_scrobble_password(live_server.platform.store, "reader", "pw")
    session = lastfm_call(
        live_server, {"method": "auth.getMobileSession", "username": "reader", "password": "pw"}
    )
    sk = ET.fromstring(session.content).findtext("session/key") or ""
    assert sk
    scrobble = {"method": "track.scrobble", "artist": "A", "track": "T", "timestamp": str(int(time.time()))}
    refused = lastfm_call(live_server, {**scrobble, "sk": sk})
    root = ET.fromstring(refused.content)
    assert root.get("status") == "failed" and root.find("error").get("code") == "4"  # type: ignore[union-attr]
    assert "'write' scope" in (root.findtext("error") or "")
    recent = lastfm_call(live_server, {"method": "user.getRecentTracks", "sk": sk})
    assert ET.fromstring(recent.content).get("status") == "ok"


def test_write_token_writes_and_admin_scope_reaches_other_users(live_server: LiveServer) -> None:
    store = live_server.platform.store
    writer = create_user(store, "writer", scopes=["write"])
    auditor = create_user(store, "auditor", scopes=["read", "admin"])
    with live_server.client(writer) as client:
        assert events(client).status_code == 202
        assert "'read' scope" in client.get("/v1/users/writer/listens").json()["error"]
    live_server.wait_consumers()
    with live_server.client(auditor) as client:
        assert client.get("/v1/users/writer/listens").json()["total"] == 1
        assert client.get("/v1/users/alice/profile").status_code == 404  # reached: alice has no profile yet
        assert "'write' scope" in events(client).json()["error"]
    with live_server.client(live_server.user_token) as client:  # the fixture's default: read + write
        assert events(client).status_code == 202
        assert client.get("/v1/users/writer/listens").status_code == 403


def test_revoke_and_rotate(live_server: LiveServer) -> None:
    store = live_server.platform.store
    first = create_user(store, "carol", scopes=["read"])
    with live_server.client(first) as client:
        assert client.get("/v1/me").status_code == 200
    revoke_token(store, "carol")
    user = store.get_user("carol")
    assert user is not None and user.token_hash == "" and user.scopes == ["read"]
    with live_server.client(first) as client:
        assert client.get("/v1/me").status_code == 401
    second = rotate_token(store, "carol")
    third = rotate_token(store, "carol")
    with live_server.client(second) as old, live_server.client(third) as new:
        assert old.get("/v1/me").status_code == 401
        assert new.get("/v1/me").json()["name"] == "carol"
        assert new.post("/v1/events", json={"events": [PLAY]}).status_code == 403  # still read-only


def test_an_empty_hash_never_authenticates(live_server: LiveServer) -> None:
    """A revoked row holds ``token_hash=""``; no header, empty or odd, may match it."""
    store = live_server.platform.store
    store.put_user(User(name="ghost", token_hash="", scopes=["read", "write", "admin"]))
    for header in ("Token ", "Token  ", 'Token ""', "Bearer \t"):
        with pytest.raises(Unauthorized):
            authenticate(header, store)
    with pytest.raises(Unauthorized):
        authenticate(f"Token {hash_token('')}", store)


def test_scope_rule_and_legacy_rows() -> None:
    assert [scope_for_method(m) for m in ("GET", "head", "POST", "PUT", "DELETE", "PATCH")] == [
        "read",
        "read",
        "write",
        "write",
        "write",
        "write",
    ]
    with pytest.raises(Forbidden, match="'admin' scope"):
        Principal("x", frozenset({"read"})).require_scope("admin")
    old_admin = msgspec.json.decode(b'{"name":"root","token_hash":"h","admin":true}', type=User)
    old_user = msgspec.json.decode(b'{"name":"al","token_hash":"h"}', type=User)
    assert old_user.scopes == ["read", "write"] and old_admin.scopes == ["read", "write"]
    assert scopes_of(old_admin) == {"read", "write", "admin"} and scopes_of(old_user) == {"read", "write"}


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


def test_cli_scopes_rotate_revoke_and_list_without_token_material(tmp_path: Path) -> None:
    tokens = [
        run(tmp_path, "users", "add", "root", "--admin")[1].strip(),
        run(tmp_path, "users", "add", "ro", "--scope", "read")[1].strip(),
        run(tmp_path, "users", "add", "rw")[1].strip(),
    ]
    code, _, err = run(tmp_path, "users", "add", "x", "--scope", "delete")
    assert code == 2 and "delete" in err
    code, out, err = run(tmp_path, "users", "rotate", "ro")
    assert code == 0 and out.strip().startswith("tm_") and out.strip() != tokens[1]
    tokens.append(out.strip())
    assert run(tmp_path, "users", "revoke", "rw")[0] == 0
    assert run(tmp_path, "users", "revoke", "nobody")[0] == 1
    code, out, err = run(tmp_path, "users", "list")
    assert code == 0, err
    lines = [line.split("\t") for line in out.strip().splitlines()]
    assert [line[0] for line in lines] == ["ro", "root", "rw"]
    assert [line[1] for line in lines] == ["read", "read,write,admin", "read,write"]
    assert [line[3] for line in lines] == ["active", "active", "revoked"]
    store = open_backend(STORES, f"sqlite:///{tmp_path}/store.db")
    try:
        hashes = [u.token_hash for u in (store.get_user(n) for n in ("ro", "root")) if u is not None]
        assert authenticate(f"Token {tokens[3]}", store).scopes == {"read"}
        with pytest.raises(Unauthorized):
            authenticate(f"Token {tokens[2]}", store)
    finally:
        store.close()
    for secret in [*tokens, *hashes]:
        assert secret not in out and secret not in err
