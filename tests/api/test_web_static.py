"""The web app at /: a stand-in build in a temporary folder, served by the real app over loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tastemaker.api.app import create_app
from tastemaker.platform import Platform
from tests.conftest import serving

INDEX = (
    "<!doctype html><html><body><div id=root></div><script src=/assets/app-1a2b.js></script></body></html>"
)
SECRET = "TOP SECRET: outside the static folder"


@dataclass
class WebServer:
    url: str
    port: int
    static: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def raw_get(self, target: str) -> tuple[int, bytes]:
        """A request line sent as is: an HTTP client would normalise ``..`` away before sending."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        status = int(received.split(b" ", 2)[1])
        return status, received


def serve(platform: Platform, static: Path) -> Iterator[WebServer]:
    with serving(create_app(platform, run_consumers=False, static_dir=static)) as url:
        yield WebServer(url, int(url.rsplit(":", 1)[1]), static)


@pytest.fixture
def web(platform: Platform, tmp_path: Path) -> Iterator[WebServer]:
    static = tmp_path / "site" / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX)
    (static / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (static / "assets" / "app-1a2b.css").write_text("body{}")
    (static / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "site" / "secret.txt").write_text(SECRET)
    (static / "assets" / "link.txt").symlink_to(tmp_path / "site" / "secret.txt")
    yield from serve(platform, static)


def assert_app_page(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'self'"):
        assert directive in policy
    assert "media-src 'self' blob:" in policy and "style-src 'self' 'unsafe-inline'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def assert_json_404(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == 404


def test_the_app_shell_answers_every_client_route(web: WebServer) -> None:
    with web.client() as client:
        for path in ("/", "/login", "/dj", "/profile", "/wrapped/2026", "/home", "/wrapped/2026/"):
            assert_app_page(client.get(path))


def test_assets_are_cached_for_good_and_the_build_root_is_served(web: WebServer) -> None:
    with web.client() as client:
        script = client.get("/assets/app-1a2b.js")
        style = client.get("/assets/app-1a2b.css")
        icon = client.get("/favicon.svg")
    assert (script.status_code, script.text) == (200, "console.log('app')")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    for asset in (script, style):
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.headers["cache-control"] == "no-cache"


def test_misses_stay_json_404s(web: WebServer) -> None:
    with web.client() as client:
        for path in (
            "/assets/missing.js",
            "/missing.png",
            "/v1",
            "/v1/nope",
            "/v1/users/alice/nope",
            "/2.0/nope",
        ):
            assert_json_404(client.get(path))
        listenbrainz = client.get("/1/nope")
        assert listenbrainz.status_code == 404 and listenbrainz.json()["code"] == 404  # its own shape
        assert_json_404(client.post("/login"))  # only GET gets the app shell
        spotify = client.get("/spotify/v1/nope")
        assert spotify.status_code == 404 and spotify.json()["error"]["status"] == 404  # Spotify's own shape
        assert client.get("/healthz").json()["ok"] is True
        assert client.get("/docs/openapi.json").json()["info"]["title"] == "Tastemaker"
        docs = client.get("/docs")
        assert docs.status_code == 200 and "content-security-policy" not in docs.headers


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/link.txt",  # a symbolic link out of the folder
        "/assets/{secret}",  # an absolute path
        "/assets/{secret_quoted}",
        "/{secret}",
        "/a/../../secret.txt",
    ],
)
def test_paths_cannot_escape_the_static_folder(web: WebServer, target: str) -> None:
    secret = str(web.static.parent / "secret.txt")  # absolute: starts with /
    assert web.raw_get("/assets/app-1a2b.js")[0] == 200  # raw requests do reach the app
    status, received = web.raw_get(target.format(secret=secret, secret_quoted=secret.replace("/", "%2F")))
    assert SECRET.encode() not in received
    assert status in (400, 404), received[:200]


def test_without_a_build_the_page_says_how_to_build_it(platform: Platform, tmp_path: Path) -> None:
    for server in serve(platform, tmp_path / "not-built"):
        with server.client() as client:
            for path in ("/", "/dj"):
                response = client.get(path)
                assert response.status_code == 503
                assert "npm run build" in response.text and "make demo" in response.text
                assert response.headers["content-security-policy"].startswith("default-src 'self'")
            assert_json_404(client.get("/assets/app.js"))
