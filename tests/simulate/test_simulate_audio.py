"""``--audio synth``: every ``track_added`` carries a ``synth:`` URL whose tempo, key, mode and energy
are deterministic and follow the track's genre; without it nothing changes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from tastemaker.audio.synth import parse_synth_url
from tastemaker.cli.base import cli
from tastemaker.events.schema import TrackAdded
from tastemaker.events.validate import parse_event
from tastemaker.simulate import World, catalog_events, events
from tastemaker.simulate.genres import GENRE_NAMES
from tastemaker.simulate.sound import genre_sound, track_sound

START = date(2024, 3, 1)


def build(seed: int = 3, tracks: int = 400) -> World:
    return World.build(seed=seed, users=8, tracks=tracks, start=START, days=2)


def test_every_track_added_gets_a_parseable_synth_url_true_to_the_track() -> None:
    world = build()
    added = list(catalog_events(world, audio="synth"))
    assert len(added) == 400
    for event in added:
        assert event.audio_url is not None
        params = parse_synth_url(event.audio_url)
        assert event.duration_ms is not None
        assert params.duration_s == pytest.approx(event.duration_ms / 1000)
        sound = genre_sound(GENRE_NAMES.index(event.genres[0]))
        assert sound.tempo[0] <= params.tempo_bpm <= sound.tempo[1]
        assert abs(params.energy - sound.energy) <= 0.12 + 1e-9
        # What the API accepts, unchanged.
        raw = json.loads(msgspec.json.encode(event))
        parsed = parse_event(raw, now=datetime(2025, 1, 1, tzinfo=UTC))
        assert isinstance(parsed, TrackAdded) and parsed.audio_url == event.audio_url
    every = [parse_synth_url(e.audio_url or "") for e in added]
    assert len({p.seed for p in every}) == 400
    assert {p.key for p in every} == set(range(12)) and {p.mode for p in every} == {0, 1}


def test_the_sound_of_a_track_is_deterministic_and_its_own() -> None:
    urls = [e.audio_url for e in catalog_events(build(), audio="synth")]
    assert urls == [e.audio_url for e in catalog_events(build(), audio="synth")]
    world = build()
    assert track_sound(world.catalog, world.seed, 7) == parse_synth_url(urls[7] or "")
    assert urls != [e.audio_url for e in catalog_events(build(seed=4), audio="synth")]


def test_genres_sound_like_themselves() -> None:
    world = build(tracks=3000)
    by_genre: dict[str, list[float]] = {}
    tempos: dict[str, list[float]] = {}
    for event in catalog_events(world, audio="synth"):
        params = parse_synth_url(event.audio_url or "")
        by_genre.setdefault(event.genres[0], []).append(params.energy)
        tempos.setdefault(event.genres[0], []).append(params.tempo_bpm)
    mean = {g: sum(v) / len(v) for g, v in by_genre.items()}
    assert mean["classical"] < 0.3 < 0.8 < mean["metal"]
    assert max(tempos["hip hop"]) <= 100 < 125 <= min(tempos["techno"])
    assert min(tempos["drum and bass"]) >= 165


def test_without_the_option_nothing_changes() -> None:
    world = build()
    plain = list(events(world))
    assert all(e.audio_url is None for e in plain if isinstance(e, TrackAdded))
    assert plain[0].event_id == f"sim:{world.tag}:catalog.0"
    with_audio = list(events(world, audio="synth"))
    assert len(with_audio) == len(plain)
    # Only the catalog differs: its events carry audio and ids of their own, so a catalog sent
    # again with audio is not dropped as a duplicate; the listening is byte-identical.
    assert with_audio[0].event_id == f"sim:{world.tag}:catalog.0.synth"
    assert with_audio[400:] == plain[400:]
    with pytest.raises(ValueError, match="audio = 'mp3': expected one of none, synth"):
        list(events(world, audio="mp3"))


def test_the_cli_option(tmp_path: Path) -> None:
    def run(*extra: str) -> list[dict[str, object]]:
        out = tmp_path / "events.ndjson"
        args = ["--data-dir", str(tmp_path), "simulate", "--seed", "2", "--users", "2", "--tracks", "30",
                "--days", "1", "--start", "2024-03-01", "--part", "catalog", "--no-progress",
                "--to", "ndjson", str(out), *extra]  # fmt: skip
        result = CliRunner().invoke(cli, args, obj={}, env={})
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in out.read_text().splitlines()]

    synth = run("--audio", "synth")
    assert len(synth) == 30
    assert all(str(e["audio_url"]).startswith("synth:?tempo=") for e in synth)
    assert all("audio_url" not in e or e["audio_url"] is None for e in run())
    result = CliRunner().invoke(cli, ["simulate", "--audio", "wav", "--to", "null"], obj={}, env={})
    assert result.exit_code == 2 and "'wav' is not one of 'none', 'synth'" in result.output
