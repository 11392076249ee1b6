"""The ListenBrainz reader on its own: export listens in, events or problems out (no log involved)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tastemaker.catalog.importers import ImportFailed, ImportItem, ImportProblem, iter_listenbrainz_events
from tastemaker.events.schema import FULL_LISTEN_MS, Play

NOW = datetime(2025, 6, 1, tzinfo=UTC)
RECORDING = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
RELEASE = "5b5e4a0f-1d2c-4a59-9a3e-0d3b35a1c1e8"
ARTIST = "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8"


def listen(**overrides: Any) -> dict[str, Any]:
    """A listen as ListenBrainz returns it from the API and in the older JSON export."""
    item: dict[str, Any] = {
        "listened_at": 1_700_000_000,
        "inserted_at": 1_700_000_005,
        "recording_msid": "d23f4719-9212-49f0-ad08-ddbfbfc50d6f",
        "user_name": "lbuser",
        "track_metadata": {
            "artist_name": "Massive Attack",
            "track_name": "Teardrop",
            "release_name": "Mezzanine",
            "additional_info": {
                "duration_ms": 330_000,
                "recording_mbid": RECORDING,
                "artist_mbids": [ARTIST],
                "isrc": "GBAAA9800214",
                "submission_client": "Navidrome",
                "submission_client_version": "0.53.3",
                "tracknumber": 3,
            },
            "mbid_mapping": {"recording_mbid": RECORDING, "release_mbid": RELEASE, "artist_mbids": [ARTIST]},
        },
    }
    item.update(overrides)
    return item


def export_line(**overrides: Any) -> dict[str, Any]:
    """A line of listens/YYYY/M.jsonl in the current export zip: no user_name, msid inside track_metadata."""
    item = listen(**overrides)
    item.pop("user_name")
    item["track_metadata"]["recording_msid"] = item.pop("recording_msid")
    item["listened_at"] = float(item["listened_at"])
    return item


def collect(
    path: Path, *, user: str | None = None, now: datetime = NOW
) -> tuple[list[Play], list[ImportProblem]]:
    events: list[Play] = []
    problems: list[ImportProblem] = []
    item: ImportItem
    for item in iter_listenbrainz_events(path, user=user, now=now):
        if isinstance(item, ImportProblem):
            problems.append(item)
        else:
            assert isinstance(item, Play)
            events.append(item)
    return events, problems


def write_jsonl(path: Path, items: list[Any]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def test_json_array_maps_metadata_and_keeps_the_rest_in_extra(tmp_path: Path) -> None:
    path = tmp_path / "listenbrainz_lbuser_1700000000.json"
    path.write_text(json.dumps([listen()]))
    (event,), problems = collect(path)
    assert problems == []
    assert event.user_id == "lbuser"
    assert event.ts == datetime.fromtimestamp(1_700_000_000, tz=UTC)  # listened_at is the start: as is
    assert (event.track_name, event.artist_name, event.album_name) == (
        "Teardrop",
        "Massive Attack",
        "Mezzanine",
    )
    assert event.ms_played == event.duration_ms == 330_000
    assert (event.recording_mbid, event.release_mbid, event.artist_mbids) == (RECORDING, RELEASE, [ARTIST])
    assert event.isrc == "GBAAA9800214"
    assert event.extra["recording_msid"] == "d23f4719-9212-49f0-ad08-ddbfbfc50d6f"
    assert event.extra["additional_info"]["submission_client"] == "Navidrome"
    assert event.extra["inserted_at"] == 1_700_000_005
    assert event.extra["imported_from"] == "listenbrainz"
    assert event.event_id.startswith("lb:")


def test_user_option_overrides_the_listens_user_name(tmp_path: Path) -> None:
    path = tmp_path / "listens.json"
    path.write_text(json.dumps([listen()]))
    (event,), _ = collect(path, user="alice")
    assert event.user_id == "alice"


def test_jsonl_with_float_times_and_duration_in_seconds(tmp_path: Path) -> None:
    line = listen(listened_at=1_700_000_100.0)
    line["track_metadata"]["additional_info"] = {"duration": 201}
    line["track_metadata"]["mbid_mapping"] = None
    (event,), problems = collect(write_jsonl(tmp_path / "listens.jsonl", [line]))
    assert problems == []
    assert event.ts == datetime.fromtimestamp(1_700_000_100, tz=UTC)
    assert event.ms_played == event.duration_ms == 201_000
    assert event.recording_mbid is None and "mbid_mapping" not in event.extra


def test_unknown_duration_is_an_assumed_full_listen(tmp_path: Path) -> None:
    line = listen()
    line["track_metadata"] = {"artist_name": "A", "track_name": "T"}
    (event,), _ = collect(write_jsonl(tmp_path / "listens.jsonl", [line]))
    assert event.ms_played == FULL_LISTEN_MS and event.duration_ms is None
    assert event.extra["ms_played_assumed"] is True


def test_event_id_is_stable_across_runs_and_number_formats(tmp_path: Path) -> None:
    as_int = write_jsonl(tmp_path / "a.jsonl", [listen()])
    as_float = write_jsonl(tmp_path / "b.jsonl", [listen(listened_at=1_700_000_000.0)])
    (first,), _ = collect(as_int, now=NOW)
    (later,), _ = collect(as_int, now=NOW + timedelta(days=3))
    (floated,), _ = collect(as_float)
    assert first.event_id == later.event_id == floated.event_id
    without_msid = listen(recording_msid=None)
    other = write_jsonl(tmp_path / "c.jsonl", [without_msid, listen(listened_at=1_700_000_001)])
    ids = [e.event_id for e in collect(other)[0]]
    assert len({*ids, first.event_id}) == 3


def test_export_zip_takes_the_user_from_user_json(tmp_path: Path) -> None:
    archive = tmp_path / "listenbrainz_lbuser_1735000000.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("user.json", json.dumps({"user_id": 42, "username": "lbuser"}) + "\n")
        zf.writestr("listens/2023/11.jsonl", json.dumps(export_line()) + "\n")
        zf.writestr("listens/2024/5.jsonl", json.dumps(export_line(listened_at=1_715_000_000)) + "\n\n")
        zf.writestr("feedback.jsonl", json.dumps({"recording_msid": "x", "score": 1, "created": 1}) + "\n")
        zf.writestr("pinned_recording.jsonl", json.dumps({"recording_msid": "x", "created": 1}) + "\n")
    events, problems = collect(archive)
    assert problems == [] and len(events) == 2
    assert {e.user_id for e in events} == {"lbuser"}
    assert events[0].extra["recording_msid"] == "d23f4719-9212-49f0-ad08-ddbfbfc50d6f"
    assert {e.user_id for e in collect(archive, user="alice")[0]} == {"alice"}
    # The same listen from the old JSON export and from the zip is the same event.
    old = tmp_path / "old.json"
    old.write_text(json.dumps([listen()]))
    assert collect(old)[0][0].event_id == events[0].event_id


def test_api_response_shape_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(
        json.dumps({"payload": {"count": 1, "user_id": "lbuser", "listens": [listen()]}}, indent=2)
    )
    assert len(collect(path)[0]) == 1


def test_no_user_anywhere_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "listens.jsonl", [export_line()])
    with pytest.raises(ImportFailed, match=r"listens\.jsonl:1: .*pass --user"):
        collect(path)


def test_bad_listens_are_reported_not_raised(tmp_path: Path) -> None:
    no_track = listen()
    no_track["track_metadata"] = {"artist_name": "A"}
    items = [
        listen(listened_at=1_000_000_000),
        listen(listened_at="yesterday"),
        listen(track_metadata="Teardrop"),
        no_track,
        42,
        listen(),
    ]
    events, problems = collect(write_jsonl(tmp_path / "listens.jsonl", items))
    assert len(events) == 1
    assert [p.kind for p in problems] == ["invalid"] * 5
    assert "before 2002-10-01" in problems[0].message
    assert "listened_at = 'yesterday'" in problems[1].message
    assert "track_metadata" in problems[2].message
    assert "track_name and artist_name" in problems[3].message
    assert problems[0].where == f"{tmp_path / 'listens.jsonl'}:1"


def test_invalid_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "listens.jsonl"
    path.write_text(json.dumps(listen()) + "\n" + '{"listened_at": 1700000000,\n')
    with pytest.raises(ImportFailed, match=r"listens\.jsonl: invalid JSON on line 2, column \d+"):
        collect(path)


def test_invalid_json_array_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "listens.json"
    path.write_text('[\n  {"listened_at": 1700000000,}\n]')
    with pytest.raises(ImportFailed, match=r"listens\.json: invalid JSON at line 2, column 30"):
        collect(path)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or folder"),
        ("zip_without_listens", "the zip holds no ListenBrainz listens files; expected listens/YYYY/M.jsonl"),
        ("only_user_json", "holds user.json but no listens"),
        ("not_listens", "not a ListenBrainz export"),
    ],
)
def test_unusable_exports_fail_clearly(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "export.zip"
    if setup == "zip_without_listens":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("feedback.jsonl", "{}\n")
    elif setup == "only_user_json":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("user.json", '{"username": "u"}')
    elif setup == "not_listens":
        path = tmp_path / "stats.json"
        path.write_text('{"top_artists": []}')
    with pytest.raises(ImportFailed, match=message):
        collect(path, user="alice")
