"""Shareable cards: well-formed, escaped SVG and a real PNG drawn from the same layout."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from tastemaker.errors import NotFound
from tastemaker.wrapped.cards import CARD_NAMES, UnknownCard, card_layout, card_png, card_svg, cards
from tastemaker.wrapped.recap import Recap
from tests.wrapped.test_story import make_recap, make_sparse_recap

SVG = "{http://www.w3.org/2000/svg}"


def _svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_card_names() -> None:
    assert CARD_NAMES == ("minutes", "top-artists", "top-tracks", "top-genre", "personality")
    assert [card.name for card in cards(make_recap())] == list(CARD_NAMES)


@pytest.mark.parametrize("name", CARD_NAMES)
@pytest.mark.parametrize("recap", [make_recap(), make_sparse_recap()], ids=["full", "sparse"])
def test_every_card_svg_parses_and_is_square(recap: Recap, name: str) -> None:
    root = ET.fromstring(card_svg(recap, name))
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("1080", "1080")
    assert _svg_texts(card_svg(recap, name))


def test_svg_escapes_names_and_carries_numbers() -> None:
    recap = make_recap()
    artists = card_svg(recap, "top-artists")
    assert "Simon &amp; Garfunkel" in artists and "&lt;Tag&gt; Team" in artists
    assert "<Tag>" not in artists
    texts = _svg_texts(artists)
    assert "1  Simon & Garfunkel" in texts and "2  <Tag> Team" in texts and "4  Bad Bunny 🐰" in texts
    assert "Top 0.5% of Simon & Garfunkel's listeners" in texts
    tracks = _svg_texts(card_svg(recap, "top-tracks"))
    assert '1  Mrs. "Robinson"' in tracks and "2  It's <Oh> So Quiet" in tracks
    assert "48,213" in _svg_texts(card_svg(recap, "minutes"))
    assert "EVNU" in _svg_texts(card_svg(recap, "personality"))
    assert "31% of my listening" in _svg_texts(card_svg(recap, "top-genre"))


def test_svg_drops_characters_xml_cannot_hold() -> None:
    recap = make_recap(names=["Null\x00Band", "Bell\x07", "C", "D", "E"])
    texts = _svg_texts(card_svg(recap, "top-artists"))
    assert "1  NullBand" in texts and "2  Bell" in texts


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("name", CARD_NAMES)
def test_every_card_png_is_a_real_picture(name: str) -> None:
    image = _png(card_png(make_recap(), name))
    assert image.format == "PNG"
    assert image.size == (1080, 1080)
    colors = image.getcolors(maxcolors=1_000_000)
    assert colors is not None and len(colors) > 2  # background, shapes and antialiased text


def test_png_differs_between_listeners_and_is_deterministic() -> None:
    alice, bob = make_recap("u-alice"), make_recap("u-bob", names=["Zed", "Y", "X", "W", "V"], minutes=12.0)
    for name in CARD_NAMES:
        if name == "top-genre" or name == "personality":
            continue  # same genres and personality in both made-up recaps
        assert card_png(alice, name) != card_png(bob, name), name
    assert card_png(alice, "top-artists") == card_png(make_recap("u-alice"), "top-artists")
    assert card_svg(alice, "top-artists") == card_svg(make_recap("u-alice"), "top-artists")


def test_card_png_matches_card_svg_layout() -> None:
    recap = make_recap()
    card = next(card for card in cards(recap) if card.name == "minutes")
    assert card.svg == card_svg(recap, "minutes")
    assert card.png() == card_png(recap, "minutes")
    layout = card_layout(recap, "minutes")
    assert [text.text for text in layout.texts] == _svg_texts(card.svg)


def test_sparse_recap_cards_leave_out_what_is_missing() -> None:
    texts = _svg_texts(card_svg(make_sparse_recap(), "top-artists"))
    assert not any("listeners" in text for text in texts)
    _png(card_png(make_sparse_recap(), "top-artists"))


@pytest.mark.parametrize("render", [card_svg, card_png])
def test_unknown_card_name_raises(render: object) -> None:
    assert callable(render)
    with pytest.raises(UnknownCard) as raised:
        render(make_recap(), "top-podcasts")
    assert isinstance(raised.value, KeyError) and isinstance(raised.value, NotFound)
    assert "top-podcasts" in str(raised.value)
