"""A listener with a distinctive history sent through the live server, and a search for their traces."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tastemaker.accounts import create_user
from tastemaker.simulate import run_simulation
from tastemaker.simulate.log_sink import LogSink
from tests.conftest import LiveServer

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def listener_events(user: str, tag: str, *, start: datetime = T0, plays: int = 12) -> list[dict[str, Any]]:
    """Plays, skips, likes and a playlist of ``user``; every id and name carries ``tag``."""
    events: list[dict[str, Any]] = []
    for i in range(plays):
        kind = "skip" if i % 4 == 3 else "play"
        events.append(
            {
                "type": kind,
                "user_id": user,
                "event_id": f"{tag}-evt-{i:03d}",
                "ts": (start + timedelta(hours=7 * i, milliseconds=250 * i)).isoformat(),
                "track_name": f"{tag} Song {i % 5}",
                "artist_name": f"{tag} Artist {i % 2}",
                "album_name": f"{tag} Album",
                "ms_played": 30_000 + 1000 * i if kind == "skip" else 180_000 + 1000 * i,
                "context": f"{tag}-context",
            }
        )
    last = start + timedelta(hours=7 * plays)
    events += [
        {"type": "like", "user_id": user, "event_id": f"{tag}-evt-like-{i}",
         "ts": (last + timedelta(minutes=i)).isoformat(),
         "track_name": f"{tag} Song {i}", "artist_name": f"{tag} Artist {i % 2}"}
        for i in range(2)
    ]  # fmt: skip
    events.append(
        {"type": "playlist_create", "user_id": user, "event_id": f"{tag}-evt-pl", "playlist_id": f"{tag}-pl",
         "name": f"{tag} secret mix", "ts": (last + timedelta(minutes=5)).isoformat()}
    )  # fmt: skip
    events += [
        {"type": "playlist_add", "user_id": user, "event_id": f"{tag}-evt-pla-{i}",
         "playlist_id": f"{tag}-pl", "track_name": f"{tag} Song {i}", "artist_name": f"{tag} Artist {i % 2}",
         "ts": (last + timedelta(minutes=6 + i)).isoformat()}
        for i in range(3)
    ]  # fmt: skip
    return events


def send(server: LiveServer, token: str, events: list[dict[str, Any]]) -> None:
    with server.client(token) as client:
        answer = client.post("/v1/events", json={"events": events})
    assert answer.status_code == 202, answer.text
    assert answer.json()["ok"] is True, answer.text


def add_user(server: LiveServer, name: str) -> str:
    return create_user(server.platform.store, name, admin=False, rotate=False)


def simulate_others(server: LiveServer, *, users: int = 12) -> None:
    """Other listeners (``user00000``…) straight into the log, as the simulator's tests do."""
    run_simulation(
        seed=7, users=users, tracks=120, days=3, start=date(2025, 3, 1),
        sink=LogSink(server.platform.event_log), progress=False,
    )  # fmt: skip


def traces(data_dir: Path, needles: Iterable[str]) -> dict[str, list[str]]:
    """Every file under ``data_dir`` whose bytes contain a needle (UTF-8), by needle."""
    wanted = [n.encode() for n in needles]
    found: dict[str, list[str]] = {}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in wanted:
            if needle in data:
                found.setdefault(needle.decode(), []).append(str(path.relative_to(data_dir)))
    return found
