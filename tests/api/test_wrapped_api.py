"""Wrapped over real HTTP: events in through the API, the job from the CLI, the recap and its assets out."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import httpx
from click.testing import CliRunner
from PIL import Image

from tastemaker.cli import cli
from tests.conftest import LiveServer

YEAR = 2025


def listening(user: str, start: datetime) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for day in range(3):
        for n in range(4):
            artist = ["Björk", "Sigur Rós", "Múm"][n % 3]
            events.append(
                {
                    "type": "play",
                    "user_id": user,
                    "ts": (start + timedelta(days=day, minutes=5 * n)).isoformat(),
                    "track_name": f"Song {n}",
                    "artist_name": artist,
                    "ms_played": 200_000 + 1000 * n,
                }
            )
    return events


def test_recap_story_and_cards_are_served_to_their_listener_only(live_server: LiveServer) -> None:
    with (
        live_server.client(live_server.user_token) as alice,
        live_server.client(live_server.admin_token) as admin,
    ):
        check_wrapped(live_server, alice, admin)
    check_damaged_file_is_left_out_and_named(live_server)


def check_damaged_file_is_left_out_and_named(live_server: LiveServer) -> None:
    """A page damaged mid-file (the footer still reads) is caught by its checksum before DuckDB, which
    checks none, reads it: the run goes on without it, names it, and records the sound files."""
    data_dir = live_server.platform.config.data_dir
    day = data_dir / "archive" / "events" / f"date={YEAR}-06-02"
    (victim,) = day.glob("bucket-*.parquet")
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 0x01
    victim.write_bytes(bytes(data))
    meta = json.loads((day / "metadata.json").read_text())
    meta["written"] = {}  # and the day as an archive from before the record: its files get verified
    (day / "metadata.json").write_text(json.dumps(meta))

    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "wrapped", str(YEAR), "--no-progress", "--json", "--fresh"], obj={}
    )
    assert result.exit_code == 0, result.output
    assert f"warning: archive file {victim} is damaged" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert list(summary["damaged_files"]) == [str(victim)] and summary["listeners"] == 1
    assert json.loads((day / "metadata.json").read_text())["written"] == {}  # the damaged one is not recorded


def check_wrapped(live_server: LiveServer, alice: httpx.Client, admin: httpx.Client) -> None:
    posted = alice.post(
        "/v1/events", json={"events": listening("alice", datetime(YEAR, 6, 1, 20, tzinfo=UTC))}
    )
    assert posted.status_code in (200, 202), posted.text
    live_server.wait_consumers()

    missing = alice.get(f"/v1/users/alice/wrapped/{YEAR}")
    assert missing.status_code == 404 and f"tastemaker wrapped {YEAR}" in missing.json()["error"]

    data_dir = str(live_server.platform.config.data_dir)
    result = CliRunner().invoke(
        cli, ["--data-dir", data_dir, "wrapped", str(YEAR), "--no-progress", "--json"], obj={}
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["listeners"] == 1 and summary["year"] == YEAR

    recap = alice.get(f"/v1/users/alice/wrapped/{YEAR}")
    assert recap.status_code == 200 and recap.headers["content-type"].startswith("application/json")
    body = recap.json()
    assert body["minutes_listened"] == round(3 * sum(200_000 + 1000 * n for n in range(4)) / 60000, 1)
    assert [a["name"] for a in body["top_artists"]] == ["Björk", "Múm", "Sigur Rós"]  # by minutes
    assert body["longest_streak"]["days"] == 3 and body["longest_streak"]["start"] == f"{YEAR}-06-01"

    story = alice.get(f"/v1/users/alice/wrapped/{YEAR}/story.json").json()
    assert story["w"] == 1080 and any(layer.get("ty") == 5 for layer in story["layers"])
    png = alice.get(f"/v1/users/alice/wrapped/{YEAR}/cards/top-artists.png")
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (1080, 1080)
    svg = alice.get(f"/v1/users/alice/wrapped/{YEAR}/cards/minutes.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    unknown = alice.get(f"/v1/users/alice/wrapped/{YEAR}/cards/nope.png")
    assert unknown.status_code == 404 and "top-artists.png" in unknown.json()["error"]

    assert alice.get(f"/v1/users/root/wrapped/{YEAR}").status_code == 403
    assert alice.get(f"/v1/users/alice/wrapped/{YEAR - 1}").status_code == 404
    with live_server.client() as anonymous:
        assert anonymous.get(f"/v1/users/alice/wrapped/{YEAR}").status_code == 401
    assert admin.get(f"/v1/users/alice/wrapped/{YEAR}").json() == body


def test_wrapped_cli_errors_are_clear(live_server: LiveServer) -> None:
    data_dir = str(live_server.platform.config.data_dir)
    empty = CliRunner().invoke(cli, ["--data-dir", data_dir, "wrapped", "2025", "--no-progress"], obj={})
    assert empty.exit_code == 1 and "archive holds no events" in empty.output
    bad_year = CliRunner().invoke(cli, ["--data-dir", data_dir, "wrapped", "1999"], obj={})
    assert bad_year.exit_code == 2 and "1999" in bad_year.output
    bad_engine = CliRunner().invoke(
        cli, ["--data-dir", data_dir, "wrapped", "2025", "--engine", "hive"], obj={}
    )
    assert bad_engine.exit_code == 2 and "duckdb" in bad_engine.output
    info = CliRunner().invoke(cli, ["--data-dir", data_dir, "archive", "info", "--json"], obj={})
    assert info.exit_code == 0 and json.loads(info.output)["events"] == 0
