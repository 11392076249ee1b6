"""The real pylast client against the Last.fm API over loopback.

pylast always speaks https to ``ws.audioscrobbler.com``; its documented ``proxy=`` option takes a
transport per URL scheme, and this test's transport sends those requests to the test server instead
(plain HTTP on loopback, so no certificate is needed). Nothing in pylast is patched.
"""

from __future__ import annotations

import time

import httpx2
import pylast

from tastemaker.accounts import set_scrobble_password
from tastemaker.config import BY_NAME
from tests.conftest import LiveServer

DEFAULT_API_KEY = BY_NAME["lastfm_api_key"].default
DEFAULT_SHARED_SECRET = BY_NAME["lastfm_shared_secret"].default


class Loopback(httpx2.HTTPTransport):
    """Every https request goes to the test server's http address (scheme, host and port replaced)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.target = httpx2.URL(url)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(scheme="http", host=self.target.host, port=self.target.port)
        return super().handle_request(request)


def test_pylast_logs_in_scrobbles_and_reads_back(live_server: LiveServer) -> None:
    set_scrobble_password(live_server.platform.store, "alice", "s3cret")
    network = pylast.LastFMNetwork(
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_SHARED_SECRET,
        username="alice",
        password_hash=pylast.md5("s3cret"),
        proxy={"https://": Loopback(live_server.url)},
    )
    now = int(time.time())
    network.scrobble_many(
        [
            {
                "artist": f"Artist {i % 3}",
                "title": f"Song {i}",
                "timestamp": now - 300 * (i + 1),
                "duration": 180,
            }
            for i in range(50)
        ]
    )
    network.update_now_playing(artist="Low", title="Words", duration=200)
    user = network.get_user("alice")
    playing = user.get_now_playing()  # type: ignore[no-untyped-call]
    assert playing is not None and playing.title == "Words"
    live_server.wait_consumers()  # recent tracks are read from the Store the archiver writes
    recent = user.get_recent_tracks(limit=60)
    assert [t.track.title for t in recent[:2]] == ["Song 0", "Song 1"]
    assert len(recent) == 50 and recent[0].timestamp == str(now - 300)
    live_server.wait_consumers()
    with live_server.client(live_server.user_token) as client:
        profile = client.get("/v1/users/alice/profile").json()
    assert (profile["plays"], profile["minutes_listened"]) == (50, 150.0)
    assert len(profile["top_artists"]["long_term"]) == 3
    assert sum(n for _, n in live_server.platform.store.listen_days("alice")) == 50
