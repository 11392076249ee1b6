"""The offline text models on clear examples: sentiment, language, explicitness, themes, embeddings
(shape, normalisation, determinism, both caches) and playlist-title signals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tastemaker.nlp import embeddings
from tastemaker.nlp.explicit import explicit_words, is_explicit
from tastemaker.nlp.language import detect
from tastemaker.nlp.sentiment import sentiment, valence
from tastemaker.nlp.themes import themes
from tastemaker.nlp.titles import title_signals, train_title_genre


def test_sentiment_sign_and_valence_range() -> None:
    assert sentiment("I love this beautiful sunny day, everything is wonderful") > 0.5
    assert sentiment("I hate you, you ruined my life and I am miserable") < -0.5
    assert sentiment("") == 0.0
    assert 0.0 <= valence("awful terrible horrible") < 0.3 < 0.7 < valence("happy joyful great") <= 1.0
    # line by line: one very negative line does not swamp three happy ones
    song = "I feel so happy today\nthe sun is shining bright\nwe laugh and sing together\ndeath and despair"
    assert sentiment(song) > 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I miss you baby, my heart is broken tonight", "en"),
        ("Te quiero más que a mi vida, mi corazón", "es"),
        ("Je t'aime encore, mon amour perdu", "fr"),
        ("Ich liebe dich, du bist mein Herz", "de"),
        ("Eu te amo, meu coração é seu", "pt"),
        ("君を愛してる、ずっと一緒に", "ja"),
        ("Я тебя люблю, моя любовь", "ru"),
    ],
)
def test_language_of_short_lyrics(text: str, code: str) -> None:
    found, confidence = detect(text)
    assert found == code
    assert 0.0 < confidence <= 1.0


def test_language_of_nothing_is_undetermined() -> None:
    assert detect("") == ("und", 0.0)
    assert detect("123 !!! ...") == ("und", 0.0)


@pytest.mark.parametrize(
    "text", ["What the FUCK!", "f*ck this", "f**k it", "sh1t happens", "$hit", "b!tch please", "fuuuck"]
)
def test_explicit_words_and_obfuscations(text: str) -> None:
    assert is_explicit(text)


@pytest.mark.parametrize("text", ["a classy cocktail in Scunthorpe", "passion", "***", "Hello! a**", ""])
def test_clean_text_is_not_explicit(text: str) -> None:
    assert not is_explicit(text)


def test_explicit_words_are_reported_as_written() -> None:
    assert explicit_words("oh Sh1t, not again, f*ck") == ["Sh1t", "f*ck"]


def test_themes_on_clear_lyrics() -> None:
    found = themes(
        [
            "I miss you, my heart is broken",
            "We dance all night in the club, pour another drink",
            "Praise the Lord, I pray to Jesus every night",
            "Tracks 1 2 3",
        ]
    )
    assert next(iter(found[0])) == "heartbreak"
    assert next(iter(found[1])) == "party"
    assert next(iter(found[2])) == "faith"
    assert found[3] == {}  # close to no theme: none rather than a guess
    for scores in found[:3]:
        assert list(scores.values()) == sorted(scores.values(), reverse=True)
        assert all(0.0 < share <= 1.0 for share in scores.values())


def test_embed_shape_normalisation_determinism_and_cache() -> None:
    texts = ["rainy day jazz", "gym bangers", "rainy day jazz"]
    embeddings.clear_cache()
    first = embeddings.embed(texts)
    assert first.shape == (3, embeddings.DIMENSIONS) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first[0], first[2])
    assert embeddings.cache_info()["lru_size"] == 2
    again = embeddings.embed(["gym bangers", "rainy day jazz"])  # served from the cache
    np.testing.assert_array_equal(again, first[[1, 0]])
    embeddings.clear_cache()
    np.testing.assert_allclose(embeddings.embed(texts), first, atol=1e-5)  # the model is deterministic
    assert embeddings.embed([]).shape == (0, embeddings.DIMENSIONS)
    assert float(first[0] @ first[1]) < 0.6  # different texts, different vectors


def test_persistent_cache_serves_vectors_without_the_model(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    embeddings.use_persistent_cache(path)
    try:
        embeddings.clear_cache()
        computed = embeddings.embed(["a persistent text"])
        embeddings.clear_cache()
        cache = embeddings.PersistentCache(path)
        stored = cache.get_many([embeddings.text_key("a persistent text")])
        cache.close()
        assert len(stored) == 1
        read_back = embeddings.embed(["a persistent text"])
        np.testing.assert_allclose(read_back, computed, atol=2e-3)  # float16 on disk
        np.testing.assert_allclose(np.linalg.norm(read_back), 1.0, atol=1e-5)
    finally:
        embeddings.use_persistent_cache(None)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("rainy day jazz", {"mood": "melancholic", "genre": "jazz"}),
        ("🏋️‍♀️ gym bangers", {"activity": "workout", "mood": "energetic"}),
        ("90s throwbacks", {"era": "90s"}),
        ("chill af", {"mood": "chill"}),
        ("lofi beats to study to 📚", {"activity": "study", "genre": "lo-fi"}),
        ("💤💤", {"activity": "sleep"}),
        ("🎉 pregame 2000s", {"activity": "party", "era": "00s"}),
        ("Summer road trip 🚗 with the eighties", {"activity": "roadtrip", "era": "80s"}),
        ("Rap Caviar", {"genre": "hip hop"}),
    ],
)
def test_title_signals_from_words_slang_and_emoji(title: str, expected: dict[str, str]) -> None:
    signals = title_signals(title)
    labels = signals.labels()
    for dimension, label in expected.items():
        assert labels[dimension][0] == label, labels
        assert 0.0 < labels[dimension][1] <= 1.0
    assert len(signals.embedding) == embeddings.DIMENSIONS


def test_title_signals_fall_back_to_zero_shot() -> None:
    """No cue word: the embedding still reads an obvious activity and genre."""
    labels = title_signals("songs to fall asleep to").labels()
    assert labels["activity"][0] == "sleep" and labels["activity"][1] < 0.9
    assert title_signals("xqzv").labels() == {}


def test_title_genre_classifier_learns_from_examples() -> None:
    titles = [
        "heavy riffs",
        "guitar anthems",
        "rap bangers",
        "hip hop classics",
        "salsa night",
        "reggaeton hits",
    ]
    labels = ["rock", "rock", "rap", "rap", "latin", "latin"]
    classifier = train_title_genre(titles, labels)
    assert classifier.classes == ("latin", "rap", "rock")
    assert classifier.predict(["electric guitar rock", "trap and rap", "bachata y salsa"]) == [
        "rock",
        "rap",
        "latin",
    ]
    with pytest.raises(ValueError, match="as many labels"):
        train_title_genre(titles, labels[:2])


def test_without_the_nlp_extra_the_error_says_what_to_install() -> None:
    """Importing works without torch; the first call that needs it names the extra."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from tastemaker.errors import ConfigError\n"
        "from tastemaker.nlp import embeddings, lyrics, titles, themes\n"
        "try:\n    embeddings.embed(['x'])\nexcept ConfigError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'tastemaker[nlp]'" in result.stdout and "'torch'" in result.stdout
