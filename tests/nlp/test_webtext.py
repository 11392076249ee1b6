"""Web text about music: keywords from the text's own statistics, and ``tastemaker describe`` storing
them as a track's ``"description"`` label beside its other labels."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.nlp.webtext import describe, keywords
from tastemaker.storage.models import Track
from tastemaker.storage.store import Store

BIO = (
    "Jeff Mills is an American DJ and producer from Detroit. Mills is one of the founders of Detroit "
    "techno, and co-founded the collective Underground Resistance with Mike Banks. His releases on his "
    "label Axis shaped minimal techno in the 1990s. Known as The Wizard on Detroit radio, Jeff Mills "
    "mixed records at great speed."
)


def test_keywords_favour_repeated_names_and_early_words() -> None:
    found = keywords(BIO)
    assert list(found)[:2] == ["jeff mills", "detroit"]
    assert "underground resistance" in found and "mike banks" in found
    assert "mills" not in found  # the phrase stands for its words
    assert not {"the", "and", "his", "records"} & set(found)
    assert max(found.values()) == 1.0 and all(0 < score <= 1 for score in found.values())
    assert keywords("") == {}


def test_describe_has_an_embedding_language_and_tone() -> None:
    found = describe("A gorgeous, warm record: the best album of the year. Wonderful songs.")
    assert found.language == "en" and found.sentiment > 0.3 and len(found.embedding) == 384
    assert "gorgeous" in found.keywords


def test_describe_cli_stores_the_label(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store: Store = open_backend(STORES, f"sqlite:///{data}/store.db")
    try:
        store.put_tracks([Track(track_id="t1", name="The Bells", artist_name="Jeff Mills")])
        store.put_labels("t1", {"genre": {"label": "techno"}})
    finally:
        store.close()
    bio = tmp_path / "bio.txt"
    bio.write_text(BIO, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--data-dir", str(data), "describe", "--track", "t1", "--file", str(bio)], obj={}, env={}
    )
    assert result.exit_code == 0, result.stderr
    assert next(iter(json.loads(result.stdout)["keywords"])) == "jeff mills"
    store = open_backend(STORES, f"sqlite:///{data}/store.db")
    try:
        labels = store.get_labels("t1")
    finally:
        store.close()
    assert labels is not None and labels["genre"] == {"label": "techno"}
    assert labels["description"]["language"] == "en" and "embedding" not in labels["description"]
    assert labels["description"]["provenance"]["source"] == "web"
    result = runner.invoke(
        cli, ["--data-dir", str(data), "describe", "--track", "nope", "--file", str(bio)], obj={}, env={}
    )
    assert result.exit_code == 1 and "no track 'nope'" in result.stderr
