"""The Wrapped story: a recap as a Lottie (bodymovin 5.x) animation that lottie-web plays in the browser.

The story is data, not video: the server sends one small JSON document per listener and the browser
animates it, so no frames are ever rendered server-side. The intro is the same for every listener and lives
in ``assets`` as a precomposition with the fixed id ``"intro"`` built without the recap, so it is
byte-identical across users and a client or CDN can cache and pre-render it once — Spotify splits Wrapped
into shared and personal segments for the same reason. Only the layers after it carry the listener's data.

Slides are laid out as :class:`Line` lists first and turned into Lottie layers second, so the layout reads
like the screen it draws and the Lottie plumbing stays in a handful of small builders.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from tastemaker.wrapped.recap import Recap

LOTTIE_VERSION = "5.7.4"
WIDTH = 1080
HEIGHT = 1920
FPS = 30
SLIDE_FRAMES = 3 * FPS
"""Every slide lasts 3 s, Wrapped's pace: long enough to read one number, short enough to keep tapping."""
INTRO_ID = "intro"
INTRO_SLIDES = 2
INTRO_FRAMES = INTRO_SLIDES * SLIDE_FRAMES

FONT_BOLD = "TastemakerSans-Bold"
FONT_REGULAR = "TastemakerSans-Regular"
FONT_FAMILY = "sans-serif"
"""A generic family: fonts without ``fPath`` are system fonts to lottie-web, so nothing has to be fetched."""

MARGIN = 60
TEXT_WIDTH = WIDTH - 2 * MARGIN

FADE_FRAMES = 12
STAGGER_FRAMES = 4
RISE_PX = 80

Layer = dict[str, Any]
RGB = tuple[float, float, float]

WHITE: RGB = (1.0, 1.0, 1.0)
BLACK: RGB = (0.0, 0.0, 0.0)
INK: RGB = (0.071, 0.071, 0.071)
GREEN: RGB = (0.118, 0.843, 0.376)
PINK: RGB = (0.961, 0.451, 0.627)
NAVY: RGB = (0.118, 0.196, 0.392)
ORANGE: RGB = (1.0, 0.392, 0.216)
LILAC: RGB = (0.686, 0.608, 0.91)
YELLOW: RGB = (0.804, 0.961, 0.392)
TEAL: RGB = (0.153, 0.522, 0.533)


# --- text measuring and formatting, shared with the cards --------------------------------------------


def char_width(char: str) -> float:
    """Roughly how wide one character is, in ems: wide CJK and emoji take a full em, the rest about half.

    An estimate rather than a measurement, because the browser picks its own sans-serif and the layout has
    to come out the same for the story, the SVG card and the PNG card.
    """
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F") or ord(char) >= 0x1F000:
        return 1.0
    return 0.6


def text_width(text: str, size: float) -> float:
    return sum(char_width(c) for c in text) * size


def fit_text(text: str, size: int, max_width: float, min_size: int) -> tuple[str, int]:
    """Shrink long text to fit, and only below ``min_size`` cut it with an ellipsis.

    Names are arbitrary: most are short and should stay big, a few are paragraphs and must not run off the
    screen.
    """
    width = text_width(text, size)
    if width <= max_width:
        return text, size
    fitted = int(size * max_width / width)
    if fitted >= min_size:
        return text, fitted
    kept = ""
    for char in text:
        if text_width(kept + char + "…", min_size) > max_width:
            break
        kept += char
    return kept.rstrip() + "…", min_size


def wrap_text(text: str, size: int, max_width: float) -> list[str]:
    return textwrap.wrap(text, width=max(8, int(max_width / (0.6 * size)))) or [""]


def format_count(value: float) -> str:
    """Whole numbers with thousands separators: minutes are kept to 0.1 in the recap but read as integers."""
    return f"{round(value):,}"


def format_percent(share: float) -> str:
    return f"{round(share * 100)}%"


def format_top_percent(top_percent: float) -> str:
    """``0.5`` → ``0.5%``, ``3.0`` → ``3%``: small percentages keep their decimal, as that is the brag."""
    return f"{top_percent:g}%" if top_percent < 1 else f"{round(top_percent)}%"


# --- the layout: slides as lines of text ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    y: float
    """Baseline of the (first line of the) text, in px from the top."""
    size: int
    bold: bool = False
    color: RGB = WHITE


@dataclass(frozen=True, slots=True)
class Slide:
    name: str
    background: RGB
    accent: RGB
    lines: tuple[Line, ...]


def line(
    text: str, y: float, size: int, *, bold: bool = False, color: RGB = WHITE, min_size: int = 28
) -> Line:
    fitted, fitted_size = fit_text(text, size, TEXT_WIDTH, min_size)
    return Line(fitted, y, fitted_size, bold, color)


def paragraph(text: str, y: float, size: int, *, color: RGB = WHITE, max_lines: int = 6) -> list[Line]:
    rows = wrap_text(text, size, TEXT_WIDTH)[:max_lines]
    return [line(row, y + n * size * 1.3, size, color=color) for n, row in enumerate(rows)]


def _intro_slides() -> list[Slide]:
    return [
        Slide(
            "intro-1",
            INK,
            GREEN,
            (
                Line("Your year", 860, 150, True, GREEN),
                Line("in music", 1020, 150, True),
                Line("is ready.", 1160, 72),
            ),
        ),
        Slide(
            "intro-2",
            GREEN,
            INK,
            (
                Line("Let's look back", 900, 110, True, INK),
                Line("at what you played,", 1040, 64, False, INK),
                Line("loved and found.", 1120, 64, False, INK),
            ),
        ),
    ]


def _minutes_slide(recap: Recap) -> Slide:
    lines = [
        line(f"{recap.year} Wrapped", 360, 56, color=GREEN),
        line("You listened for", 640, 72, bold=True),
        line(format_count(recap.minutes_listened), 880, 220, bold=True, color=GREEN, min_size=120),
        line("minutes", 1000, 80, bold=True),
        line(f"{format_count(recap.streams)} streams", 1240, 52),
        line(
            f"{format_count(recap.distinct_tracks)} songs by {format_count(recap.distinct_artists)} artists",
            1320,
            52,
        ),
    ]
    if recap.longest_streak is not None:
        lines.append(
            line(f"Longest streak: {recap.longest_streak.days} days in a row", 1560, 48, color=GREEN)
        )
    return Slide("minutes", INK, GREEN, tuple(lines))


def _top_artists_slide(recap: Recap) -> Slide | None:
    if not recap.top_artists:
        return None
    lines = [line("Your top artists", 360, 88, bold=True, color=INK)]
    for n, artist in enumerate(recap.top_artists[:5]):
        y = 600 + n * 170
        lines.append(line(f"{artist.rank}  {artist.name}", y, 76 if n == 0 else 60, bold=True, color=INK))
        lines.append(line(f"{format_count(artist.minutes)} minutes", y + 60, 36, color=INK))
    rank = recap.top_artist_rank
    if rank is not None:
        lines.append(
            line(
                f"You're in the top {format_top_percent(rank.top_percent)} of {rank.name}'s listeners",
                1560,
                44,
                bold=True,
                color=INK,
            )
        )
    return Slide("top-artists", PINK, NAVY, tuple(lines))


def _top_tracks_slide(recap: Recap) -> Slide | None:
    if not recap.top_tracks:
        return None
    lines = [line("Your top songs", 360, 88, bold=True)]
    for n, track in enumerate(recap.top_tracks[:5]):
        y = 600 + n * 190
        lines.append(line(f"{track.rank}  {track.name}", y, 68 if n == 0 else 56, bold=True))
        lines.append(line(f"{track.artist_name} · {format_count(track.streams)} streams", y + 64, 38))
    return Slide("top-tracks", NAVY, PINK, tuple(lines))


def _top_genre_slide(recap: Recap) -> Slide | None:
    if not recap.top_genres:
        return None
    top = recap.top_genres[0]
    lines = [
        line("Your top genre", 560, 80, bold=True, color=INK),
        line(top.genre, 820, 150, bold=True, color=INK, min_size=48),
        line(f"{format_percent(top.share)} of your listening", 960, 56, color=INK),
    ]
    for n, genre in enumerate(recap.top_genres[1:5]):
        lines.append(
            line(f"{genre.rank}  {genre.genre} · {format_percent(genre.share)}", 1200 + n * 90, 48, color=INK)
        )
    return Slide("top-genre", ORANGE, YELLOW, tuple(lines))


def _new_artists_slide(recap: Recap) -> Slide:
    new = recap.new_artists
    lines = [
        line("You discovered", 560, 80, bold=True, color=INK),
        line(format_count(new.count), 820, 220, bold=True, color=INK, min_size=120),
        line("new artists" if new.count != 1 else "new artist", 940, 80, bold=True, color=INK),
        line(f"{format_percent(new.minutes_share)} of your listening was new to you", 1080, 46, color=INK),
    ]
    for n, artist in enumerate(new.examples[:3]):
        lines.append(line(artist.name, 1300 + n * 90, 52, bold=True, color=INK))
    return Slide("new-artists", YELLOW, TEAL, tuple(lines))


def _personality_slide(recap: Recap) -> Slide:
    persona = recap.personality
    lines = [
        line("Your listening personality", 440, 64, bold=True),
        line(persona.code, 720, 240, bold=True, color=INK, min_size=120),
        line(persona.name, 880, 84, bold=True, min_size=40),
        *paragraph(persona.description, 1060, 44),
    ]
    return Slide("personality", LILAC, INK, tuple(lines))


def _audio_mood_slide(recap: Recap) -> Slide | None:
    mood = recap.audio_mood
    if mood is None:
        return None
    lines = [
        line("Your year sounded", 560, 80, bold=True),
        line(mood.mood, 760, 110, bold=True, color=GREEN, min_size=48),
        line(f"Energy {format_percent(mood.energy)}", 1000, 56),
        line(f"Danceability {format_percent(mood.danceability)}", 1090, 56),
        line(f"Happiness {format_percent(mood.valence)}", 1180, 56),
        line(f"{round(mood.tempo)} BPM on average", 1320, 56, bold=True),
    ]
    return Slide("audio-mood", TEAL, GREEN, tuple(lines))


SLIDE_BUILDERS: tuple[Callable[[Recap], Slide | None], ...] = (
    _minutes_slide,
    _top_artists_slide,
    _top_tracks_slide,
    _top_genre_slide,
    _new_artists_slide,
    _personality_slide,
    _audio_mood_slide,
)


def user_slides(recap: Recap) -> list[Slide]:
    """The listener's slides in playing order; a slide with nothing to show (no audio mood) is left out."""
    return [slide for build in SLIDE_BUILDERS if (slide := build(recap)) is not None]


# --- Lottie builders -----------------------------------------------------------------------------------


def static(value: float | Sequence[float]) -> dict[str, Any]:
    return {"a": 0, "k": value if isinstance(value, float | int) else list(value)}


def keyframes(keys: Sequence[tuple[float, Sequence[float]]]) -> dict[str, Any]:
    """An animated property easing out fast and settling slowly, the feel of Wrapped's slides.

    Bodymovin stores a segment's bezier handles (``o`` leaving, ``i`` arriving) on the key that starts it,
    so every key but the last carries them; one handle per dimension keeps lottie-web on its per-axis path.
    """
    out: list[dict[str, Any]] = []
    for n, (frame, value) in enumerate(keys):
        key: dict[str, Any] = {"t": frame, "s": list(value)}
        if n < len(keys) - 1:
            dims = len(value)
            key["o"] = {"x": [0.33] * dims, "y": [0.0] * dims}
            key["i"] = {"x": [0.15] * dims, "y": [1.0] * dims}
        out.append(key)
    return {"a": 1, "k": out}


def fade(ip: float, op: float, delay: float = 0) -> dict[str, Any]:
    """Opacity: in after ``delay`` frames, hold, out over the slide's last frames."""
    start = ip + delay
    return keyframes([(start, [0]), (start + FADE_FRAMES, [100]), (op - 8, [100]), (op - 1, [0])])


def rise(x: float, y: float, ip: float, delay: float = 0) -> dict[str, Any]:
    """Position: slide up ``RISE_PX`` into place while fading in."""
    start = ip + delay
    return keyframes([(start, [x, y + RISE_PX, 0]), (start + FADE_FRAMES + 6, [x, y, 0])])


def transform(
    position: dict[str, Any], opacity: dict[str, Any] | None = None, scale: float = 100
) -> dict[str, Any]:
    return {
        "o": opacity if opacity is not None else static(100),
        "r": static(0),
        "p": position,
        "a": static([0, 0, 0]),
        "s": static([scale, scale, 100]),
    }


def _layer(ty: int, ind: int, name: str, ip: float, op: float, ks: dict[str, Any]) -> Layer:
    return {
        "ddd": 0,
        "ind": ind,
        "ty": ty,
        "nm": name,
        "sr": 1,
        "ks": ks,
        "ao": 0,
        "ip": ip,
        "op": op,
        "st": ip,
        "bm": 0,
    }


def _color(rgb: RGB, alpha: float | None = None) -> list[float]:
    rounded = [round(c, 3) for c in rgb]
    return rounded if alpha is None else [*rounded, alpha]


def text_layer(ind: int, text_line: Line, ip: float, op: float, delay: float = 0) -> Layer:
    """A centred point-text layer, its baseline at the line's y, rising and fading in after ``delay``."""
    layer = _layer(
        5,
        ind,
        text_line.text[:40] or "text",
        ip,
        op,
        transform(rise(WIDTH / 2, text_line.y, ip, delay), fade(ip, op, delay)),
    )
    document = {
        "s": text_line.size,
        "f": FONT_BOLD if text_line.bold else FONT_REGULAR,
        "t": text_line.text,
        "j": 2,
        "tr": 0,
        "lh": round(text_line.size * 1.2, 1),
        "ls": 0,
        "fc": _color(text_line.color),
    }
    layer["t"] = {"d": {"k": [{"s": document, "t": 0}]}, "p": {}, "m": {"g": 1, "a": static([0, 0])}, "a": []}
    return layer


def _shape_layer(
    ind: int, name: str, shape: dict[str, Any], rgb: RGB, ip: float, op: float, ks: dict[str, Any]
) -> Layer:
    group = {
        "ty": "gr",
        "nm": name,
        "np": 2,
        "cix": 2,
        "bm": 0,
        "it": [
            shape,
            {"ty": "fl", "nm": "Fill", "c": static(_color(rgb, 1)), "o": static(100), "r": 1, "bm": 0},
            {
                "ty": "tr",
                "nm": "Transform",
                "p": static([0, 0]),
                "a": static([0, 0]),
                "s": static([100, 100]),
                "r": static(0),
                "o": static(100),
                "sk": static(0),
                "sa": static(0),
            },
        ],
    }
    layer = _layer(4, ind, name, ip, op, ks)
    layer["shapes"] = [group]
    return layer


def rect_layer(ind: int, name: str, rgb: RGB, ip: float, op: float) -> Layer:
    """A full-screen background: a solid fill as a shape layer, which every lottie-web renderer supports."""
    rect = {
        "ty": "rc",
        "nm": "Rect",
        "d": 1,
        "s": static([WIDTH, HEIGHT]),
        "p": static([0, 0]),
        "r": static(0),
    }
    return _shape_layer(ind, name, rect, rgb, ip, op, transform(static([WIDTH / 2, HEIGHT / 2, 0])))


def blob_layer(ind: int, name: str, rgb: RGB, ip: float, op: float, corner: int) -> Layer:
    """A large accent circle drifting behind the text, alternating corners so consecutive slides differ."""
    left = corner % 2 == 0
    x0, y0 = (120, 1700) if left else (960, 220)
    x1, y1 = (x0 + 80, y0 - 120) if left else (x0 - 80, y0 + 120)
    circle = {"ty": "el", "nm": "Circle", "d": 1, "s": static([720, 720]), "p": static([0, 0])}
    position = keyframes([(ip, [x0, y0, 0]), (op - 1, [x1, y1, 0])])
    opacity = keyframes([(ip, [0]), (ip + FADE_FRAMES * 2, [100])])
    return _shape_layer(ind, name, circle, rgb, ip, op, transform(position, opacity))


def slide_layers(slide: Slide, ip: float, first_ind: int) -> list[Layer]:
    """One slide's layers, topmost first as Lottie stacks them: the text, the accent, then the background."""
    op = ip + SLIDE_FRAMES
    layers = [
        text_layer(first_ind + n, text_line, ip, op, delay=min(n * STAGGER_FRAMES, 30))
        for n, text_line in enumerate(slide.lines)
    ]
    ind = first_ind + len(layers)
    layers.append(blob_layer(ind, f"{slide.name} accent", slide.accent, ip, op, corner=first_ind))
    layers.append(rect_layer(ind + 1, f"{slide.name} background", slide.background, ip, op))
    return layers


def intro_asset() -> dict[str, Any]:
    """The shared intro precomposition. Takes no recap on purpose: it must be byte-identical for everyone."""
    layers: list[Layer] = []
    for n, slide in enumerate(_intro_slides()):
        layers.extend(slide_layers(slide, n * SLIDE_FRAMES, len(layers) + 1))
    return {"id": INTRO_ID, "nm": "Intro", "fr": FPS, "w": WIDTH, "h": HEIGHT, "layers": layers}


def fonts() -> dict[str, Any]:
    return {
        "list": [
            {"fName": FONT_BOLD, "fFamily": FONT_FAMILY, "fStyle": "Bold", "fWeight": "700", "ascent": 72},
            {
                "fName": FONT_REGULAR,
                "fFamily": FONT_FAMILY,
                "fStyle": "Regular",
                "fWeight": "400",
                "ascent": 72,
            },
        ]
    }


def story(recap: Recap) -> dict[str, Any]:
    """The listener's Wrapped story as a Lottie document: the shared intro precomp, then their own slides.

    Markers name each slide so a player can jump to one (``goToAndPlay("top-artists", true)``) when the
    listener taps forward, the way story players skip ahead.
    """
    intro = _layer(0, 1, "Intro", 0, INTRO_FRAMES, transform(static([0, 0, 0])))
    intro.update({"refId": INTRO_ID, "w": WIDTH, "h": HEIGHT})
    layers: list[Layer] = [intro]
    markers: list[dict[str, Any]] = [{"tm": 0, "cm": INTRO_ID, "dr": INTRO_FRAMES}]
    frame = INTRO_FRAMES
    for slide in user_slides(recap):
        layers.extend(slide_layers(slide, frame, len(layers) + 1))
        markers.append({"tm": frame, "cm": slide.name, "dr": SLIDE_FRAMES})
        frame += SLIDE_FRAMES
    return {
        "v": LOTTIE_VERSION,
        "fr": FPS,
        "ip": 0,
        "op": frame,
        "w": WIDTH,
        "h": HEIGHT,
        "nm": f"Wrapped {recap.year}",
        "ddd": 0,
        "assets": [intro_asset()],
        "fonts": fonts(),
        "layers": layers,
        "markers": markers,
    }


def story_json(recap: Recap) -> bytes:
    """The story as served: msgspec keeps key order and float formatting, so equal recaps give equal bytes."""
    return msgspec.json.encode(story(recap))
