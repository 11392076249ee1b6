"""``DELETE /v1/users/{user}`` and ``tastemaker users delete``: afterwards no file under the data dir
holds a byte of the listener (log, store, archive, model files), other listeners are intact, and
the name starts a new, empty history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow.compute as pc
from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.privacy.forget import Journal, forget
from tastemaker.recommend.model_files import load_current, models_dir, versions
from tests.conftest import LiveServer
from tests.privacy.helpers import add_user, listener_events, send, simulate_others, traces

API_USER, API_TAG = "fgt-api-listener-q8", "zk3api"
CLI_USER, CLI_TAG = "fgt-cli-listener-w2", "zk3cli"
OTHER = "user00003"


def _listens(platform: Platform, user: str) -> int:
    return sum(count for _day, count in platform.store.listen_days(user))


def _needles(user: str, tag: str) -> list[str]:
    events = listener_events(user, tag)
    return [user, f"{tag} secret mix", f"{tag}-context", *(str(e["event_id"]) for e in events)]


def _archived(platform: Platform, user: str) -> int:
    platform.archive.compact()
    table = platform.archive.read_events(date(2025, 1, 1), date(2026, 1, 1))
    return int(pc.sum(pc.equal(table.column("user_id"), user)).as_py() or 0)


def test_forget_leaves_no_trace_and_the_name_starts_afresh(live_server: LiveServer, config: Config) -> None:
    platform = live_server.platform
    simulate_others(live_server)
    tokens = {API_USER: add_user(live_server, API_USER), CLI_USER: add_user(live_server, CLI_USER)}
    for user, tag in ((API_USER, API_TAG), (CLI_USER, CLI_TAG)):
        events = listener_events(user, tag)
        send(live_server, tokens[user], events[:6])  # half compacted into bucket files …
    live_server.wait_consumers()
    platform.archive.compact()
    for user, tag in ((API_USER, API_TAG), (CLI_USER, CLI_TAG)):
        send(live_server, tokens[user], listener_events(user, tag)[6:])  # … half in staged runs
    live_server.wait_consumers()
    platform.store.put_recaps(2025, {API_USER: b'{"minutes": 42}', CLI_USER: b'{"minutes": 7}'})
    trained = CliRunner().invoke(
        cli, ["--data-dir", str(config.data_dir), "train", "--no-progress", "--factors", "8"], obj={}, env={}
    )
    assert trained.exit_code == 0, trained.output
    assert {API_USER, CLI_USER, OTHER} <= set(load_current(models_dir(config.data_dir)).user_ids)
    assert platform.archive.staged_days(), "some of the listener's events should still be staged runs"
    in_buckets = platform.archive.read_events(date(2025, 1, 1), date(2026, 1, 1)).column("user_id")
    assert int(pc.sum(pc.equal(in_buckets, API_USER)).as_py()) == 6  # the first half, compacted
    other_before = (_listens(platform, OTHER), platform.store.get_profile(OTHER) is not None)
    assert other_before[0] > 0 and other_before[1]
    assert traces(config.data_dir, [API_USER, CLI_USER])  # the search finds them before

    # via the API, by the listener themself; again (204: idempotent) by an admin
    with live_server.client(tokens[API_USER]) as client:
        assert client.delete(f"/v1/users/{CLI_USER}").status_code == 403  # not theirs
        assert client.delete(f"/v1/users/{API_USER}").status_code == 204
        assert client.get(f"/v1/users/{API_USER}/listens").status_code == 401  # the token is gone
    with live_server.client(live_server.admin_token) as client:
        assert client.delete(f"/v1/users/{API_USER}").status_code == 204
        assert client.get(f"/v1/users/{API_USER}/export").status_code == 404

    # via the CLI (its own platform on the same data dir, the server still running)
    asked = CliRunner().invoke(
        cli, ["--data-dir", str(config.data_dir), "users", "delete", CLI_USER], input="n\n", obj={}, env={}
    )
    assert asked.exit_code != 0 and _listens(platform, CLI_USER) == 12  # declined: all still there
    result = CliRunner().invoke(
        cli, ["--data-dir", str(config.data_dir), "users", "delete", CLI_USER, "--yes"], obj={}, env={}
    )
    assert result.exit_code == 0, result.output
    assert "events in the event log" in result.output and f"forgot {CLI_USER!r}" in result.output

    live_server.wait_consumers()
    found = traces(config.data_dir, _needles(API_USER, API_TAG) + _needles(CLI_USER, CLI_TAG))
    assert found == {}, found

    # everyone else is intact
    assert (_listens(platform, OTHER), platform.store.get_profile(OTHER) is not None) == other_before
    assert _archived(platform, OTHER) > 0
    model = load_current(models_dir(config.data_dir))
    assert OTHER in model.user_ids and API_USER not in model.user_ids
    assert len(versions(models_dir(config.data_dir))) >= 1

    # the name starts a new, empty history
    fresh = {"type": "play", "user_id": API_USER, "event_id": f"{API_TAG}-evt-000", "track_name": "New Song",
             "artist_name": "New Artist", "ms_played": 200_000, "ts": "2025-06-01T10:00:00Z"}  # fmt: skip
    send(live_server, live_server.admin_token, [fresh])  # the same event id as before: accepted anew
    live_server.wait_consumers()
    assert _listens(platform, API_USER) == 1
    with live_server.client(live_server.admin_token) as client:
        profile = client.get(f"/v1/users/{API_USER}/profile").json()
    assert (profile["plays"], profile["skips"], profile["likes"]) == (1, 0, 0)


def test_an_interrupted_forget_is_finished_by_the_next_one(platform: Platform) -> None:
    """A journal entry left by a crash: the next forget (of anyone) finishes it first."""
    from tastemaker.events.validate import parse_event

    now = datetime.now(UTC)
    events = listener_events("crashed-listener", "zk3crash", start=now - timedelta(days=3), plays=4)
    platform.event_log.append([parse_event(e, now=now) for e in events])
    platform.drain()
    assert _listens(platform, "crashed-listener") == 4
    Journal(platform.config.data_dir).begin("crashed-listener")  # as if it crashed right after

    report = forget(platform, "someone-else", settle_s=0.5)
    assert not report.found
    assert _listens(platform, "crashed-listener") == 0
    assert platform.store.get_profile("crashed-listener") is None
    assert Journal(platform.config.data_dir).pending() == []
    again = forget(platform, "crashed-listener", settle_s=0.5)
    assert not again.found  # idempotent: nothing left
