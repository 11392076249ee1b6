"""The Lottie story: valid bodymovin structure, a shared intro, and the listener's own data in the text."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from tastemaker.wrapped.recap import (
    AudioMood,
    MonthTopTrack,
    NewArtists,
    Personality,
    RankedAlbum,
    RankedArtist,
    RankedGenre,
    RankedTrack,
    Recap,
    ReplayedDay,
    Streak,
    TopArtistRank,
)
from tastemaker.wrapped.story import (
    FPS,
    HEIGHT,
    INTRO_FRAMES,
    INTRO_ID,
    SLIDE_FRAMES,
    WIDTH,
    fit_text,
    intro_asset,
    story,
    story_json,
    user_slides,
)

ARTIST_NAMES = ["Simon & Garfunkel", "<Tag> Team", "Björk", "Bad Bunny 🐰", "坂本龍一"]


def make_recap(
    user_id: str = "u-alice", *, names: list[str] | None = None, minutes: float = 48213.4
) -> Recap:
    """A realistic recap: five of everything, awkward names (``&``, ``<``, quotes, emoji, CJK)."""
    names = names or ARTIST_NAMES
    artists = [
        RankedArtist(
            rank=n + 1,
            artist_id=f"ar{n}",
            name=name,
            minutes=round(3100.5 - n * 400, 1),
            streams=900 - n * 90,
        )
        for n, name in enumerate(names)
    ]
    tracks = [
        RankedTrack(
            rank=n + 1,
            track_id=f"tr{n}",
            name=title,
            artist_name=names[n],
            minutes=round(310.2 - n * 30, 1),
            streams=120 - n * 10,
        )
        for n, title in enumerate(
            ['Mrs. "Robinson"', "It's <Oh> So Quiet", "Hyperballad", "Tití Me Preguntó", "Merry Christmas"]
        )
    ]
    albums = [
        RankedAlbum(
            rank=n + 1,
            album_id=f"al{n}",
            name=f"Album {n}",
            artist_name=names[n],
            minutes=200.0 - n,
            streams=50 - n,
        )
        for n in range(5)
    ]
    genres = [
        RankedGenre(rank=n + 1, genre=genre, minutes=9000.0 - n * 1000, share=round(0.31 - n * 0.05, 2))
        for n, genre in enumerate(["indie folk", "art pop", "reggaeton", "ambient", "r&b"])
    ]
    return Recap(
        user_id=user_id,
        year=2026,
        minutes_listened=minutes,
        streams=14302,
        distinct_tracks=3120,
        distinct_artists=812,
        top_artists=artists,
        top_tracks=tracks,
        top_albums=albums,
        top_genres=genres,
        top_track_by_month=[
            MonthTopTrack(month=m, track_id="tr0", name=tracks[0].name, artist_name=names[0], streams=30)
            for m in range(1, 13)
        ],
        listening_clock=[[float((d * 24 + h) % 17) for h in range(24)] for d in range(7)],
        longest_streak=Streak(days=41, start="2026-03-02", end="2026-04-11"),
        new_artists=NewArtists(count=137, minutes_share=0.23, examples=artists[2:5]),
        most_replayed_day=ReplayedDay(
            date="2026-06-21", track_id="tr2", name="Hyperballad", artist_name=names[2], streams=14
        ),
        top_artist_rank=TopArtistRank(artist_id="ar0", name=names[0], top_percent=0.5, listeners=48210),
        audio_mood=AudioMood(
            valence=0.62,
            energy=0.71,
            danceability=0.58,
            tempo=118.4,
            mood="Bright and energetic",
            minutes_share=0.87,
        ),
        personality=Personality(
            code="EVNU",
            name="The Time Traveler",
            description="You go deep into an artist's past, and come back with songs nobody else is playing.",
            axes={"exploration": 0.8, "newness": 0.3, "variety": 0.7, "uniqueness": 0.9},
        ),
    )


def make_sparse_recap() -> Recap:
    """What a quiet listener with no audio features and no rank gets: every optional is ``None``."""
    recap = make_recap("u-quiet", names=["Solo Artist", "B", "C", "D", "E"], minutes=95.0)
    return msgspec.structs.replace(recap, audio_mood=None, longest_streak=None, top_artist_rank=None)


def _text_layers(layers: list[dict[str, Any]]) -> list[str]:
    return [layer["t"]["d"]["k"][0]["s"]["t"] for layer in layers if layer["ty"] == 5]


def _all_layers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [*doc["layers"], *(layer for asset in doc["assets"] for layer in asset.get("layers", []))]


LAYER_KEYS = {"ddd", "ind", "ty", "nm", "sr", "ks", "ao", "ip", "op", "st", "bm"}


def test_story_has_the_lottie_top_level_keys() -> None:
    doc = story(make_recap())
    assert {"v", "fr", "ip", "op", "w", "h", "nm", "ddd", "assets", "layers", "fonts"} <= doc.keys()
    assert doc["v"].startswith("5.")
    assert (doc["w"], doc["h"], doc["fr"], doc["ip"]) == (WIDTH, HEIGHT, FPS, 0) == (1080, 1920, 30, 0)
    fonts = doc["fonts"]["list"]
    assert all({"fName", "fFamily", "fStyle", "ascent"} <= font.keys() for font in fonts)
    used = {layer["t"]["d"]["k"][0]["s"]["f"] for layer in _all_layers(doc) if layer["ty"] == 5}
    assert used <= {font["fName"] for font in fonts}


def test_every_layer_is_well_formed() -> None:
    doc = story(make_recap())
    for layers in [doc["layers"], *(asset["layers"] for asset in doc["assets"])]:
        inds = [layer["ind"] for layer in layers]
        assert len(inds) == len(set(inds))
        for layer in layers:
            assert layer.keys() >= LAYER_KEYS, layer["nm"]
            assert {"o", "r", "p", "a", "s"} <= layer["ks"].keys()
            assert 0 <= layer["ip"] < layer["op"] <= doc["op"]
            if layer["ty"] == 5:
                document = layer["t"]["d"]["k"][0]["s"]
                assert {"t", "s", "f", "fc", "j", "lh"} <= document.keys()
                assert len(document["fc"]) == 3
            elif layer["ty"] == 4:
                items = layer["shapes"][0]["it"]
                assert [item["ty"] for item in items][-2:] == ["fl", "tr"]
            else:
                assert layer["ty"] == 0
                assert layer["refId"] == INTRO_ID


def test_animated_properties_have_eased_keyframes() -> None:
    doc = story(make_recap())
    text = next(layer for layer in doc["layers"] if layer["ty"] == 5)
    for prop in (text["ks"]["o"], text["ks"]["p"]):
        assert prop["a"] == 1
        keys = prop["k"]
        frames = [key["t"] for key in keys]
        assert frames == sorted(frames) and len(set(frames)) == len(frames)
        assert all({"i", "o"} <= key.keys() for key in keys[:-1])
        assert all(len(key["i"]["x"]) == len(key["s"]) for key in keys[:-1])
    opacities = [key["s"][0] for key in text["ks"]["o"]["k"]]
    assert opacities[0] == 0 and max(opacities) == 100


def test_frames_add_up_to_the_slides() -> None:
    recap = make_recap()
    doc = story(recap)
    slides = user_slides(recap)
    assert [slide.name for slide in slides] == [
        "minutes",
        "top-artists",
        "top-tracks",
        "top-genre",
        "new-artists",
        "personality",
        "audio-mood",
    ]
    assert doc["op"] == INTRO_FRAMES + len(slides) * SLIDE_FRAMES
    assert sum(marker["dr"] for marker in doc["markers"]) == doc["op"]
    intro_layer = doc["layers"][0]
    assert (intro_layer["ty"], intro_layer["ip"], intro_layer["op"]) == (0, 0, INTRO_FRAMES)
    assert all(layer["ip"] >= INTRO_FRAMES for layer in doc["layers"][1:])


def test_intro_is_identical_for_everyone_and_the_rest_is_not() -> None:
    alice, bob = (
        story(make_recap("u-alice")),
        story(make_recap("u-bob", names=["Zed", "Y", "X", "W", "V"], minutes=12.0)),
    )
    assert alice["assets"] == bob["assets"] == [intro_asset()]
    assert [asset["id"] for asset in alice["assets"]] == [INTRO_ID]
    assert msgspec.json.encode(alice["assets"][0]) == msgspec.json.encode(bob["assets"][0])
    assert alice["layers"][0] == bob["layers"][0]  # the precomp layer pointing at the intro
    assert _text_layers(alice["layers"]) != _text_layers(bob["layers"])
    assert not set(_text_layers(alice["assets"][0]["layers"])) & {"Zed", "Simon & Garfunkel", "48,213"}


def test_text_layers_carry_the_listeners_data() -> None:
    recap = make_recap()
    texts = _text_layers(story(recap)["layers"])
    joined = "\n".join(texts)
    assert "48,213" in texts
    assert "1  Simon & Garfunkel" in texts
    assert "2  <Tag> Team" in texts
    assert "4  Bad Bunny 🐰" in texts
    assert '1  Mrs. "Robinson"' in texts
    assert "indie folk" in texts
    assert "137" in texts
    assert "EVNU" in texts and "The Time Traveler" in texts
    assert "Bright and energetic" in texts
    assert "Longest streak: 41 days in a row" in texts
    assert "top 0.5% of Simon & Garfunkel's listeners" in joined


def test_story_json_is_deterministic_and_keeps_unicode() -> None:
    first, second = story_json(make_recap()), story_json(make_recap())
    assert first == second
    assert "Bad Bunny 🐰".encode() in first and "坂本龍一".encode() in first
    assert b"Simon & Garfunkel" in first and b"<Tag> Team" in first
    assert json.loads(first) == story(make_recap())


def test_a_recap_without_the_optional_parts_still_plays() -> None:
    recap = make_sparse_recap()
    doc = story(recap)
    texts = _text_layers(doc["layers"])
    assert "95" in texts and "1  Solo Artist" in texts
    assert not any("streak" in text or "listeners" in text for text in texts)
    assert "audio-mood" not in [marker["cm"] for marker in doc["markers"]]
    assert doc["op"] == INTRO_FRAMES + 6 * SLIDE_FRAMES
    json.loads(story_json(recap))


def test_empty_rankings_drop_their_slides() -> None:
    recap = msgspec.structs.replace(make_sparse_recap(), top_artists=[], top_tracks=[], top_genres=[])
    doc = story(recap)
    assert [marker["cm"] for marker in doc["markers"]] == [INTRO_ID, "minutes", "new-artists", "personality"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Short", ("Short", 80)), ("x" * 30, ("x" * 30, 53))],
)
def test_fit_text_shrinks_long_text(text: str, expected: tuple[str, int]) -> None:
    assert fit_text(text, 80, 960, 28) == expected


def test_fit_text_cuts_only_past_the_smallest_size() -> None:
    fitted, size = fit_text("y" * 500, 80, 960, 28)
    assert size == 28 and fitted.endswith("…") and len(fitted) < 500
