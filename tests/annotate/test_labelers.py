"""Each labeler on crafted tracks, the combiner, and the registry."""

from __future__ import annotations

import pytest

from tastemaker.annotate import registry
from tastemaker.annotate.audio import AudioLabeler
from tastemaker.annotate.combine import combine
from tastemaker.annotate.era import EraLabeler, decade
from tastemaker.annotate.labeler import Label, TrackContext
from tastemaker.annotate.playlists import PlaylistLabeler
from tastemaker.annotate.text import TextLabeler
from tastemaker.audio.model import AudioFeatures
from tastemaker.storage.models import Track


def features(**values: float) -> AudioFeatures:
    base: dict[str, float] = {
        "acousticness": 0.1, "danceability": 0.5, "energy": 0.5, "instrumentalness": 0.0, "liveness": 0.1,
        "loudness": -7.0, "speechiness": 0.05, "tempo": 110.0, "valence": 0.5,
    }  # fmt: skip
    base.update(values)
    return AudioFeatures(**base, key=0, mode=1, time_signature=4, duration_ms=200_000)  # type: ignore[arg-type]


def by_kind(labels: list[Label]) -> dict[str, Label]:
    return {label.kind: label for label in labels}


def test_audio_labeler_reads_mood_activity_vocal_and_genre_from_features() -> None:
    tracks = [
        TrackContext("banger", features=features(valence=0.9, energy=0.92, danceability=0.8, tempo=128)),
        TrackContext("lullaby", features=features(valence=0.2, energy=0.1, acousticness=0.95, tempo=70)),
        TrackContext(
            "study", features=features(valence=0.6, energy=0.35, instrumentalness=0.9, acousticness=0.8)
        ),
        TrackContext("rage", features=features(valence=0.1, energy=0.95, danceability=0.3, loudness=-3.0)),
        TrackContext("unanalysed"),
    ]
    labeler = AudioLabeler()
    banger, lullaby, study, rage, unanalysed = (by_kind(x) for x in labeler.labels(tracks))
    assert (banger["mood"].value, banger["activity"].value, banger["vocal"].value) == (
        "happy",
        "workout",
        "vocal",
    )
    assert (lullaby["mood"].value, lullaby["activity"].value) == ("sad", "sleep")
    assert (study["mood"].value, study["activity"].value, study["vocal"].value) == (
        "chill",
        "focus",
        "instrumental",
    )
    assert rage["mood"].value == "angry" and "activity" not in rage
    assert unanalysed == {} and labeler.skipped == {
        "unanalysed": "no audio features (run tastemaker analyze)"
    }
    assert all(label.source == "audio" and 0 < label.confidence <= 1 for label in banger.values())
    assert banger["genre"].value in {"edm", "hip hop", "latin", "pop", "r&b", "rock"}
    # a track at the centre of valence × energy has no mood at all
    assert "mood" not in by_kind(AudioLabeler().labels([TrackContext("flat", features=features())])[0])


def test_text_labeler_reads_the_stored_lyrics_analysis() -> None:
    heartbreak = {"valence": 0.2, "themes": {"heartbreak": 0.7, "love": 0.2}}
    neutral_words = {"valence": 0.85, "themes": {"money": 0.9}}
    review = {"keywords": {"berlin": 1.0, "detroit techno": 0.8, "dreamy": 0.5}, "language": "en"}
    tracks = [
        TrackContext("a", labels={"lyrics": heartbreak}),
        TrackContext("b", labels={"lyrics": neutral_words}),
        TrackContext("c"),
        TrackContext("d", labels={"description": review}),
    ]
    labeler = TextLabeler()
    a, b, c, d = (by_kind(x) for x in labeler.labels(tracks))
    assert (a["theme"].value, a["mood"].value, a["mood"].evidence) == (
        "heartbreak",
        "sad",
        "lyrics theme heartbreak",
    )
    assert (b["theme"].value, b["mood"].value) == ("money", "happy")  # no mood theme: the valence decides
    assert c == {} and "no lyrics analysis" in labeler.skipped["c"]
    assert (d["genre"].value, d["genre"].confidence, d["mood"].value) == ("edm", 0.4, "dreamy")
    assert d["genre"].evidence == "description keyword 'detroit techno'"


def test_era_labeler_takes_the_decade_of_the_release_date() -> None:
    assert [decade(d) for d in ("1987-05-01", "2003", "0000", "n/a")] == ["80s", "00s", None, None]
    tracks = [
        TrackContext("a", track=Track(track_id="a", name="A", release_date="1987-05-01")),
        TrackContext("b", track=Track(track_id="b", name="B", release_date="2019")),
        TrackContext("c", track=Track(track_id="c", name="C")),
    ]
    labeler = EraLabeler()
    a, b, c = labeler.labels(tracks)
    assert (a[0].value, a[0].confidence, b[0].value, b[0].confidence) == ("80s", 0.95, "10s", 0.9)
    assert c == [] and "c" in labeler.skipped


def test_playlist_labeler_follows_what_most_titles_say() -> None:
    titles = ("workout bangers", "gym 💪", "80s workout", "sunday morning")
    labeler = PlaylistLabeler()
    found, nothing = labeler.labels([TrackContext("t", playlist_titles=titles), TrackContext("u")])
    labels = by_kind(found)
    assert labels["activity"].value == "workout" and labels["activity"].evidence == "3 of 4 playlists"
    assert labels["era"].value == "80s"
    assert labels["activity"].confidence > labels["era"].confidence  # three playlists agree, not one
    assert nothing == [] and labeler.skipped == {"u": "in no listener's playlist"}


def test_combiner_weights_by_confidence_and_keeps_every_source() -> None:
    merged = combine(
        [
            Label("mood", "sad", 0.6, "audio", "valence 0.2"),
            Label("mood", "melancholic", 0.45, "playlists", "2 of 2 playlists"),  # an alias of sad
            Label("mood", "happy", 0.5, "text", "lyrics valence 0.9"),
            Label("era", "80s", 0.95, "era"),
            Label("genre", "rap", 0.0, "llm"),  # no confidence: ignored
        ]
    )
    assert set(merged) == {"mood", "era"}
    mood = merged["mood"]
    assert mood["value"] == "sad"
    agree = 1 - (1 - 0.6) * (1 - 0.45)
    assert mood["confidence"] == pytest.approx(agree * 1.05 / 1.55, abs=1e-3)
    assert [s["labeler"] for s in mood["sources"]] == ["audio", "playlists", "text"]
    assert merged["era"] == {
        "value": "80s",
        "confidence": 0.95,
        "sources": [{"labeler": "era", "value": "80s", "confidence": 0.95, "evidence": ""}],
    }
    assert combine([]) == {}


def test_registry_knows_the_built_in_labelers_and_rejects_others() -> None:
    assert registry.names() == ["audio", "text", "playlists", "era", "llm"]
    assert registry.create("audio").name == "audio"
    with pytest.raises(registry.UnknownLabeler, match="unknown labeler 'nope'"):
        registry.create("nope")
