"""Shareable Wrapped cards: square images a listener posts, as SVG (crisp, tiny) and PNG (what apps accept).

Each card is laid out once as plain shapes and text (:class:`CardLayout`) and then drawn twice, to SVG text
and with Pillow, so both formats always say the same thing in the same place. The PNG is drawn directly
rather than rasterised from the SVG so that no SVG renderer (and its system dependencies) is needed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from tastemaker.errors import NotFound
from tastemaker.wrapped.recap import Recap
from tastemaker.wrapped.story import (
    FONT_FAMILY,
    GREEN,
    INK,
    LILAC,
    NAVY,
    ORANGE,
    PINK,
    RGB,
    WHITE,
    YELLOW,
    fit_text,
    format_count,
    format_percent,
    format_top_percent,
    wrap_text,
)

CARD_SIZE = 1080
CARD_MARGIN = 60
CARD_TEXT_WIDTH = CARD_SIZE - 2 * CARD_MARGIN


class UnknownCard(NotFound, KeyError):
    """A card name that is not in :data:`CARD_NAMES`; a ``NotFound``, so the API answers 404."""


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    y: float
    """Baseline, centred horizontally on the card."""
    size: int
    bold: bool
    color: RGB


@dataclass(frozen=True, slots=True)
class Circle:
    cx: float
    cy: float
    r: float
    color: RGB


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    color: RGB


@dataclass(frozen=True, slots=True)
class CardLayout:
    name: str
    title: str
    background: RGB
    shapes: tuple[Circle | Rect, ...]
    texts: tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class Card:
    name: str
    svg: str
    layout: CardLayout

    def png(self) -> bytes:
        return render_png(self.layout)


def _text(text: str, y: float, size: int, color: RGB, *, bold: bool = False, min_size: int = 24) -> Text:
    fitted, fitted_size = fit_text(text, size, CARD_TEXT_WIDTH, min_size)
    return Text(fitted, y, fitted_size, bold, color)


def _footer(recap: Recap, color: RGB) -> Text:
    return Text(f"{recap.year} Wrapped · tastemaker", 1030, 30, False, color)


def _minutes_card(recap: Recap) -> CardLayout:
    texts = [
        _text(f"My {recap.year} in music", 200, 56, GREEN),
        _text("I listened for", 390, 64, WHITE, bold=True),
        _text(format_count(recap.minutes_listened), 600, 200, GREEN, bold=True, min_size=100),
        _text("minutes", 710, 72, WHITE, bold=True),
        _text(
            f"{format_count(recap.streams)} streams · {format_count(recap.distinct_artists)} artists",
            860,
            44,
            WHITE,
        ),
        _footer(recap, WHITE),
    ]
    return CardLayout("minutes", "Minutes listened", INK, (Circle(1040, 40, 220, NAVY),), tuple(texts))


def _top_artists_card(recap: Recap) -> CardLayout:
    texts = [_text("My top artists", 170, 80, INK, bold=True)]
    for n, artist in enumerate(recap.top_artists[:5]):
        texts.append(_text(f"{artist.rank}  {artist.name}", 330 + n * 125, 60 if n else 72, INK, bold=True))
    if not recap.top_artists:
        texts.append(_text("No artists yet", 500, 60, INK))
    rank = recap.top_artist_rank
    if rank is not None:
        texts.append(
            _text(
                f"Top {format_top_percent(rank.top_percent)} of {rank.name}'s listeners",
                950,
                40,
                INK,
                bold=True,
            )
        )
    texts.append(_footer(recap, INK))
    return CardLayout("top-artists", "Top artists", PINK, (Circle(0, 1080, 240, LILAC),), tuple(texts))


def _top_tracks_card(recap: Recap) -> CardLayout:
    texts = [_text("My top songs", 170, 80, WHITE, bold=True)]
    for n, track in enumerate(recap.top_tracks[:5]):
        y = 310 + n * 138
        texts.append(_text(f"{track.rank}  {track.name}", y, 56 if n else 64, WHITE, bold=True))
        texts.append(_text(track.artist_name, y + 46, 34, WHITE))
    if not recap.top_tracks:
        texts.append(_text("No songs yet", 500, 60, WHITE))
    texts.append(_footer(recap, WHITE))
    return CardLayout("top-tracks", "Top songs", NAVY, (Circle(1080, 0, 200, PINK),), tuple(texts))


def _top_genre_card(recap: Recap) -> CardLayout:
    texts = [_text("My top genre", 290, 72, INK, bold=True)]
    if recap.top_genres:
        top = recap.top_genres[0]
        texts.append(_text(top.genre, 500, 130, INK, bold=True, min_size=40))
        texts.append(_text(f"{format_percent(top.share)} of my listening", 610, 52, INK))
        rest = [f"{genre.genre} {format_percent(genre.share)}" for genre in recap.top_genres[1:4]]
        if rest:
            texts.append(_text(" · ".join(rest), 780, 40, INK))
    else:
        texts.append(_text("A bit of everything", 500, 90, INK, bold=True))
    texts.append(_footer(recap, INK))
    bar = Rect(0, 0, CARD_SIZE, 24, YELLOW)
    return CardLayout("top-genre", "Top genre", ORANGE, (bar, Circle(540, 1080, 220, YELLOW)), tuple(texts))


def _personality_card(recap: Recap) -> CardLayout:
    persona = recap.personality
    texts = [
        _text("My listening personality", 190, 56, INK, bold=True),
        _text(persona.code, 430, 210, INK, bold=True, min_size=80),
        _text(persona.name, 560, 72, WHITE, bold=True, min_size=32),
    ]
    for n, row in enumerate(wrap_text(persona.description, 38, CARD_TEXT_WIDTH)[:6]):
        texts.append(_text(row, 680 + n * 52, 38, INK))
    texts.append(_footer(recap, INK))
    return CardLayout(
        "personality", "Listening personality", LILAC, (Circle(1000, 1000, 240, WHITE),), tuple(texts)
    )


CARD_BUILDERS: dict[str, Callable[[Recap], CardLayout]] = {
    "minutes": _minutes_card,
    "top-artists": _top_artists_card,
    "top-tracks": _top_tracks_card,
    "top-genre": _top_genre_card,
    "personality": _personality_card,
}
CARD_NAMES: tuple[str, ...] = tuple(CARD_BUILDERS)


def card_layout(recap: Recap, name: str) -> CardLayout:
    try:
        build = CARD_BUILDERS[name]
    except KeyError:
        msg = f"no Wrapped card named {name!r}; cards are {', '.join(CARD_NAMES)}"
        raise UnknownCard(msg) from None
    return build(recap)


# --- SVG -------------------------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    """Escape for XML, and drop the few code points XML cannot hold at all: names are arbitrary unicode."""
    return escape(_XML_INVALID.sub("", text), {'"': "&quot;", "'": "&apos;"})


def _hex(rgb: RGB) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def render_svg(layout: CardLayout) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CARD_SIZE}" height="{CARD_SIZE}" '
        f'viewBox="0 0 {CARD_SIZE} {CARD_SIZE}" xml:space="preserve">',
        f"<title>{_xml_text(layout.title)}</title>",
        f'<rect width="{CARD_SIZE}" height="{CARD_SIZE}" fill="{_hex(layout.background)}"/>',
    ]
    for shape in layout.shapes:
        if isinstance(shape, Circle):
            parts.append(
                f'<circle cx="{shape.cx:g}" cy="{shape.cy:g}" r="{shape.r:g}" fill="{_hex(shape.color)}"/>'
            )
        else:
            parts.append(
                f'<rect x="{shape.x:g}" y="{shape.y:g}" width="{shape.w:g}" height="{shape.h:g}" '
                f'fill="{_hex(shape.color)}"/>'
            )
    for text in layout.texts:
        weight = 700 if text.bold else 400
        parts.append(
            f'<text x="{CARD_SIZE // 2}" y="{text.y:g}" font-family="{FONT_FAMILY}" font-size="{text.size}" '
            f'font-weight="{weight}" fill="{_hex(text.color)}" text-anchor="middle">'
            f"{_xml_text(text.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --- PNG -------------------------------------------------------------------------------------------------


_FONT_FILES: dict[bool, tuple[str, ...]] = {
    False: ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"),
    True: ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf"),
}
"""System fonts tried in order (Pillow looks in the usual font folders): Pillow's bundled font only covers
ASCII, and names like "Björk" or "Beyoncé" must not turn into boxes. None of these has CJK or emoji glyphs."""

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> tuple[Font, bool]:
    """The font for a size and weight, and whether it is really bold (else bold is faked with a stroke).

    Falls back to Pillow's bundled scalable font, so a machine without system fonts still draws every card.
    """
    for name in _FONT_FILES[bold]:
        try:
            return ImageFont.truetype(name, size), bold
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _fitting_font(text: str, size: int, bold: bool) -> tuple[Font, bool]:
    """The layout's size, shrunk only if this machine's font runs wider than the layout's estimate."""
    font, real_bold = _font(size, bold)
    while size > 12 and font.getlength(text) > CARD_TEXT_WIDTH:
        size -= 2
        font, real_bold = _font(size, bold)
    return font, real_bold


def _rgb255(rgb: RGB) -> tuple[int, int, int]:
    return (round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255))


def render_png(layout: CardLayout) -> bytes:
    """Draw the layout with Pillow, at the same places and sizes as the SVG."""
    image = Image.new("RGB", (CARD_SIZE, CARD_SIZE), _rgb255(layout.background))
    draw = ImageDraw.Draw(image)
    for shape in layout.shapes:
        if isinstance(shape, Circle):
            box = (shape.cx - shape.r, shape.cy - shape.r, shape.cx + shape.r, shape.cy + shape.r)
            draw.ellipse(box, fill=_rgb255(shape.color))
        else:
            draw.rectangle(
                (shape.x, shape.y, shape.x + shape.w, shape.y + shape.h), fill=_rgb255(shape.color)
            )
    for text in layout.texts:
        color = _rgb255(text.color)
        content = _XML_INVALID.sub("", text.text)
        font, real_bold = _fitting_font(content, text.size, text.bold)
        stroke = max(1, round(text.size / 36)) if text.bold and not real_bold else 0
        draw.text(
            (CARD_SIZE / 2, text.y),
            content,
            fill=color,
            font=font,
            anchor="ms",
            stroke_width=stroke,
            stroke_fill=color,
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- public API ------------------------------------------------------------------------------------------


def card_svg(recap: Recap, name: str) -> str:
    """The card as SVG text; raises :class:`UnknownCard` (a ``KeyError``, a ``NotFound``) for other names."""
    return render_svg(card_layout(recap, name))


def card_png(recap: Recap, name: str) -> bytes:
    """The card as PNG bytes, 1080×1080; raises :class:`UnknownCard` for other names."""
    return render_png(card_layout(recap, name))


def cards(recap: Recap) -> list[Card]:
    """Every card for a recap, in :data:`CARD_NAMES` order; PNGs are drawn only when asked for."""
    layouts = [card_layout(recap, name) for name in CARD_NAMES]
    return [Card(layout.name, render_svg(layout), layout) for layout in layouts]
