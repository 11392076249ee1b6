"""On-disk format version 1 of the Taste Profile stays readable (voyager-style golden files)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tastemaker.profiles.profile import FORMAT_VERSION, decode, encode

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "profiles" / "v1" / "profile.msgpack"


def test_v1_profile_decodes_and_re_encodes_identically() -> None:
    data = GOLDEN.read_bytes()
    profile = decode(data)
    assert profile.version == 1 == FORMAT_VERSION
    assert (profile.user_id, profile.plays, profile.skips, profile.likes) == ("golden", 1, 1, 1)
    assert profile.ms_played == 105_000 and profile.applied == {"3": 41}
    assert profile.first_listen == datetime(2025, 1, 1, tzinfo=UTC)
    assert profile.genres["jazz"].long == pytest.approx(0.5 * 2 ** (-2 / 180) - 0.5 * 2 ** (-1 / 180) + 2)
    assert encode(profile) == data
