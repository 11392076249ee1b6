"""GET/HEAD /v1/tracks/{id}/stream: real audio files, HTTP ranges, and signed links without a token."""

from __future__ import annotations

import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
import pytest

from tastemaker.api.app import create_app
from tastemaker.api.stream_signing import signature, stream_secret
from tastemaker.config import Config
from tastemaker.storage.models import Track
from tests.audio_files import write_audio
from tests.conftest import LiveServer

SYNTH_URL = "synth:?tempo=120&key=0&mode=1&energy=0.5&seed=1&duration=2"


@dataclass
class Catalog:
    server: LiveServer
    files: dict[str, Path]  # track id -> its file

    def url(self, track_id: str) -> str:
        return f"/v1/tracks/{quote(track_id, safe='')}/stream"


@pytest.fixture
def catalog(live_server: LiveServer, tmp_path: Path) -> Catalog:
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)).astype(np.float32)
    files = {
        f"sim:{suffix}": write_audio(tmp_path / f"tone.{suffix}", tone, rate=22050)
        for suffix in ("wav", "ogg", "flac")
    }
    tracks = [
        Track(track_id=track_id, name=track_id, audio_url=str(path)) for track_id, path in files.items()
    ]
    tracks[1] = Track(track_id="sim:ogg", name="ogg", audio_url=files["sim:ogg"].as_uri())  # a file:// URL
    tracks += [
        Track(track_id="sim:silent", name="no audio"),
        Track(track_id="sim:gone", name="moved", audio_url=str(tmp_path / "gone.flac")),
        Track(track_id="sim:remote", name="remote", audio_url="https://audio.example.org/a.mp3"),
        Track(track_id="sim:synth", name="synth", audio_url=SYNTH_URL),
    ]
    live_server.platform.store.put_tracks(tracks)
    return Catalog(live_server, files)


def test_whole_file_with_its_media_type(catalog: Catalog) -> None:
    types = {"sim:wav": "audio/wav", "sim:ogg": "audio/ogg", "sim:flac": "audio/flac"}
    with catalog.server.client(catalog.server.user_token) as alice:
        for track_id, media_type in types.items():
            response = alice.get(catalog.url(track_id))
            data = catalog.files[track_id].read_bytes()
            assert response.status_code == 200, track_id
            assert response.content == data, track_id
            assert response.headers["content-type"] == media_type
            assert response.headers["accept-ranges"] == "bytes"
            assert response.headers["content-length"] == str(len(data))
            assert "content-range" not in response.headers


RANGES = [  # header, first byte (negative: from the end), last byte (None: the file's last)
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, None),
    ("bytes=-50", -50, None),
    ("bytes=10-10", 10, 10),
    ("bytes=1000-999999999", 1000, None),  # an end past the file is the end of the file
    ("bytes=-999999999", 0, None),  # a suffix longer than the file is all of it
    ("Bytes = 5-6", 5, 6),
]


def test_a_single_range_is_206_with_exactly_those_bytes(catalog: Catalog) -> None:
    data = catalog.files["sim:flac"].read_bytes()
    size = len(data)
    with catalog.server.client(catalog.server.user_token) as alice:
        for header, first, last in RANGES:
            response = alice.get(catalog.url("sim:flac"), headers={"Range": header})
            start = first % size if first < 0 else first
            end = size - 1 if last is None else last
            assert response.status_code == 206, (header, response.text)
            assert response.content == data[start : end + 1], header
            assert response.headers["content-range"] == f"bytes {start}-{end}/{size}", header
            assert response.headers["content-length"] == str(end - start + 1), header
            assert response.headers["content-type"] == "audio/flac"


def test_an_unsatisfiable_range_is_416(catalog: Catalog) -> None:
    size = catalog.files["sim:wav"].stat().st_size
    headers = [f"bytes={size}-", f"bytes={size}-{size + 9}", "bytes=-0", "bytes=9-2", "bytes=x-y", "bytes=-"]
    with catalog.server.client(catalog.server.user_token) as alice:
        for header in headers:
            response = alice.get(catalog.url("sim:wav"), headers={"Range": header})
            assert response.status_code == 416, header
            assert response.headers["content-range"] == f"bytes */{size}"
            assert response.json()["status"] == 416


def test_several_ranges_or_another_unit_get_the_whole_file(catalog: Catalog) -> None:
    with catalog.server.client(catalog.server.user_token) as alice:
        for header in ("bytes=0-1,5-6", "items=0-5"):
            response = alice.get(catalog.url("sim:wav"), headers={"Range": header})
            assert response.status_code == 200, header
            assert response.content == catalog.files["sim:wav"].read_bytes()


def test_head_gives_the_headers_without_the_body(catalog: Catalog) -> None:
    size = catalog.files["sim:ogg"].stat().st_size
    with catalog.server.client(catalog.server.user_token) as alice:
        whole = alice.head(catalog.url("sim:ogg"))
        part = alice.head(catalog.url("sim:ogg"), headers={"Range": "bytes=4-"})
    assert (whole.status_code, whole.content) == (200, b"")
    assert whole.headers["content-length"] == str(size) and whole.headers["content-type"] == "audio/ogg"
    assert (part.status_code, part.content) == (206, b"")
    assert part.headers["content-range"] == f"bytes 4-{size - 1}/{size}"


def test_the_signed_stream_url_plays_without_a_token(catalog: Catalog) -> None:
    with catalog.server.client(catalog.server.user_token) as alice:
        track = alice.get("/v1/tracks/sim:wav").json()
        silent = alice.get("/v1/tracks/sim:silent").json()
    assert silent["stream_url"] is None
    stream_url = track["stream_url"]
    parts = urlsplit(stream_url)
    assert parts.path == "/v1/tracks/sim%3Awav/stream" and not parts.netloc
    expires = int(parse_qs(parts.query)["expires"][0])
    assert 6 * 3600 - 60 <= expires - time.time() <= 7 * 3600
    with catalog.server.client() as anonymous:
        response = anonymous.get(stream_url, headers={"Range": "bytes=0-3"})
        assert (response.status_code, response.content) == (206, b"RIFF")
        assert anonymous.get(catalog.url("sim:wav")).status_code == 401


def test_a_tampered_expired_or_borrowed_signature_is_refused(catalog: Catalog) -> None:
    secret = stream_secret(catalog.server.platform.config)
    past = int(time.time()) - 10
    future = int(time.time()) + 3600
    good = signature(secret, "sim:wav", future)
    wrong = [
        f"expires={future}&sig={good[:-1]}{'0' if good[-1] != '0' else '1'}",  # one hex digit changed
        f"expires={future + 1}&sig={good}",  # a later expiry under the old signature
        f"expires={past}&sig={signature(secret, 'sim:wav', past)}",  # expired, though well signed
        f"expires={future}&sig={signature(b'another key', 'sim:wav', future)}",
        f"expires=abc&sig={good}",
    ]
    with catalog.server.client() as anonymous:
        assert anonymous.get(f"{catalog.url('sim:wav')}?expires={future}&sig={good}").status_code == 200
        for query in wrong:
            response = anonymous.get(f"{catalog.url('sim:wav')}?{query}")
            assert response.status_code == 403, query
            assert response.json()["status"] == 403
        borrowed = anonymous.get(f"{catalog.url('sim:flac')}?expires={future}&sig={good}")  # another track
        assert borrowed.status_code == 403
    with catalog.server.client(catalog.server.user_token) as alice:  # a bad link with a good token plays
        assert alice.get(f"{catalog.url('sim:wav')}?expires={past}&sig=00").status_code == 200


def test_missing_tracks_and_audio_are_404_and_remote_audio_redirects(catalog: Catalog) -> None:
    with catalog.server.client(catalog.server.user_token) as alice:
        for track_id in ("sim:nope", "sim:silent", "sim:gone"):
            response = alice.get(catalog.url(track_id))
            assert response.status_code == 404, track_id
            assert response.json()["ok"] is False
        remote = alice.get(catalog.url("sim:remote"))
    assert remote.status_code == 307
    assert remote.headers["location"] == "https://audio.example.org/a.mp3"


def test_a_synth_url_is_rendered_once_and_streamed_as_ogg(catalog: Catalog) -> None:
    with catalog.server.client(catalog.server.user_token) as alice:
        first = alice.get(catalog.url("sim:synth"))
        again = alice.get(catalog.url("sim:synth"), headers={"Range": "bytes=0-3"})
    assert first.status_code == 200 and first.headers["content-type"] == "audio/ogg"
    assert first.content[:4] == b"OggS" and len(first.content) > 1000
    assert (again.status_code, again.content) == (206, b"OggS")
    cached = list((catalog.server.platform.config.data_dir / "audio-cache").glob("*.ogg"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.content


def test_the_generated_secret_is_private_and_shared_by_every_app(catalog: Catalog) -> None:
    platform = catalog.server.platform
    path = platform.config.data_dir / "stream-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = create_app(platform, run_consumers=False)  # another worker process over the same data dir
    assert other.state.stream_secret == stream_secret(platform.config) == path.read_text().strip().encode()


def test_a_configured_secret_is_used_as_is(tmp_path: Path) -> None:
    config = Config.load({"data_dir": str(tmp_path), "stream_secret": "s3cret"}, env={})
    assert stream_secret(config) == b"s3cret"
    assert not (tmp_path / "stream-secret").exists()
