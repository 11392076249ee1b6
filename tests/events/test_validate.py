"""The edge validator: precise errors, stable ids, and schema round trips (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.errors import InvalidEvent
from tastemaker.events.identity import track_id_for
from tastemaker.events.schema import Play, from_json, to_builtins, to_json
from tastemaker.events.validate import parse_event

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def parse(raw: dict[str, Any]) -> Any:
    return parse_event(raw, now=NOW, loc=("events", 0))


def base(**fields: Any) -> dict[str, Any]:
    return {"type": "play", "user_id": "u1", "ts": "2025-06-01T10:00:00Z", "track_id": "t1", **fields}


@pytest.mark.parametrize(
    ("fields", "loc", "kind", "text"),
    [
        ({"ms_played": -5}, "ms_played", "out_of_range", "ms_played = -5"),
        ({"ms_played": "x"}, "ms_played", "wrong_type", "got `str`"),
        ({"user_id": ""}, "user_id", "wrong_length", "user_id = ''"),
        ({"ts": "yesterday"}, "ts", "invalid_value", "ts = 'yesterday'"),
        ({"ts": "2001-01-01T00:00:00Z"}, "ts", "too_far_in_past", "2002-10-01"),
        ({"ts": "2026-01-01T02:00:01Z"}, "ts", "too_far_in_future", "more than 3600 s"),
        ({"ts": "2025-06-01T10:00:00"}, "ts", "missing_timezone", "needs a timezone"),
        ({"track_id": None}, "track_id", "missing_track", "track_name and artist_name"),
        (
            {"track_id": None, "track_name": " ", "artist_name": "x"},
            "track_id",
            "missing_track",
            "track_name",
        ),
        (
            {"track_id": None, "track_name": 5, "artist_name": "x"},
            "track_name",
            "wrong_type",
            "track_name = 5",
        ),
        ({"type": "jump"}, "type", "unknown_event_type", "expected one of"),
        ({"shuffle": "yes"}, "shuffle", "wrong_type", "shuffle = 'yes'"),
        ({"user_id": "u\x001"}, "user_id", "invalid", "NUL"),
        ({"track_id": None, "track_name": "a\x00b", "artist_name": "x"}, "track_name", "invalid", "NUL"),
    ],
)
def test_errors_name_field_value_and_rule(fields: dict[str, Any], loc: str, kind: str, text: str) -> None:
    with pytest.raises(InvalidEvent, match=text) as info:
        parse(base(**fields))
    assert info.value.loc == ("events", 0, loc)
    assert info.value.type == kind


def test_missing_required_field() -> None:
    raw = base()
    del raw["user_id"]
    with pytest.raises(InvalidEvent, match="user_id is required") as info:
        parse(raw)
    assert info.value.type == "missing"


def test_unknown_fields_are_kept_in_extra_and_ts_normalised_to_utc() -> None:
    event = parse(base(ts="2025-06-01T12:00:00+02:00", mood="sunny", extra={"a": 1}))
    assert event.extra == {"a": 1, "mood": "sunny"}
    assert event.ts == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert event.received_at == NOW


def test_epoch_seconds_are_accepted() -> None:
    assert parse(base(ts=1748772000)).ts == datetime(2025, 6, 1, 10, tzinfo=UTC)


def test_metadata_resolves_to_a_stable_catalog_id() -> None:
    event = parse(base(track_id=None, track_name="  Hey  Jude", artist_name="THE BEATLES"))
    assert event.track_id == track_id_for(artist_name="the beatles", track_name="hey jude")


def test_event_id_is_client_given_or_a_stable_content_hash() -> None:
    assert parse(base(event_id="abc")).event_id == "abc"
    first = parse_event(base(), now=NOW)
    later = parse_event(base(), now=NOW + timedelta(minutes=5))
    assert first.event_id == later.event_id and first.event_id.startswith("h:")
    assert parse(base(ms_played=1)).event_id != first.event_id


names = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "" and "\x00" not in s)  # NUL: refused
instants = st.datetimes(
    min_value=datetime(2002, 10, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(
    user=names,
    ts=instants,
    track=names,
    artist=names,
    ms=st.integers(min_value=0, max_value=10_000_000),
    extra=st.dictionaries(
        st.from_regex(r"x_[a-z]{1,8}", fullmatch=True),
        st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(max_size=5),
    ),
)
def test_round_trip_through_json_and_the_log_format(
    user: str, ts: datetime, track: str, artist: str, ms: int, extra: dict[str, Any]
) -> None:
    raw = {
        "type": "play",
        "user_id": user,
        "ts": ts.isoformat(),
        "track_name": track,
        "artist_name": artist,
        "ms_played": ms,
        **extra,
    }
    event = parse_event(raw, now=NOW)
    assert isinstance(event, Play)
    assert from_json(to_json(event)) == event
    again = parse_event(msgspec.json.decode(msgspec.json.encode(to_builtins(event))), now=NOW)
    assert again == event
    assert event.extra == extra


def test_unstorable_extra_is_rejected_not_crashing() -> None:
    with pytest.raises(InvalidEvent, match="cannot be stored") as info:
        parse(base(huge=2**70))
    assert info.value.loc == ("events", 0, "extra")
