"""`tastemaker users`: the token alone on stdout, stored hashed, rotation revokes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tastemaker.api.auth import authenticate, hash_token
from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.errors import Unauthorized


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


def test_add_prints_only_the_token_and_stores_its_hash(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "users", "add", "alice")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("tm_") and "\n" not in token and "alice" in err
    store = open_backend(STORES, f"sqlite:///{tmp_path}/store.db")
    try:
        user = store.get_user("alice")
        assert user is not None and user.token_hash == hash_token(token) and not user.admin
        assert token not in (tmp_path / "store.db").read_bytes().decode("latin-1")
        assert authenticate(f"Token {token}", store).name == "alice"
    finally:
        store.close()


def test_duplicate_needs_rotate_and_rotation_revokes(tmp_path: Path) -> None:
    old = run(tmp_path, "users", "add", "bob", "--admin")[1].strip()
    code, _, err = run(tmp_path, "users", "add", "bob")
    assert code == 1 and "--rotate" in err
    new = run(tmp_path, "users", "add", "bob", "--rotate")[1].strip()
    store = open_backend(STORES, f"sqlite:///{tmp_path}/store.db")
    try:
        assert authenticate(f"Bearer {new}", store).admin is True
        try:
            authenticate(f"Token {old}", store)
        except Unauthorized:
            pass
        else:
            raise AssertionError("old token still works")
    finally:
        store.close()


def test_remove(tmp_path: Path) -> None:
    run(tmp_path, "users", "add", "carol")
    assert run(tmp_path, "users", "remove", "carol")[0] == 0
    code, _, err = run(tmp_path, "users", "remove", "carol")
    assert code == 1 and "no user 'carol'" in err
