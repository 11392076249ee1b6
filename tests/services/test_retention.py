"""Retention runs only when configured, and trims the log through the real backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tastemaker.config import Config
from tastemaker.events.schema import Play
from tastemaker.platform import Platform, retention_loop


def test_disabled_by_default(platform: Platform) -> None:
    assert retention_loop(platform.config, platform.event_log).enabled is False


def test_size_bound_trims_oldest(tmp_path: Path) -> None:
    config = Config.load({"data_dir": str(tmp_path), "log_retention_bytes": 2000}, env={})
    with Platform.open(config) as platform:
        events = [
            Play(
                user_id="u", ts=datetime(2025, 1, 1, tzinfo=UTC), event_id=f"e{i}", track_id="t", ms_played=i
            )
            for i in range(200)
        ]
        platform.event_log.append(events)
        loop = retention_loop(config, platform.event_log)
        assert loop.enabled and loop.run_once() > 0
        remaining = platform.event_log.poll("check", 1000).records
        assert 0 < len(remaining) < 200
        assert remaining[-1].event.event_id == "e199"
