"""Exact cues in playlist titles: words, slang and emoji that name a mood, an activity, a genre or an
era. Each cue maps to one label; a title's cues are read before any model, so "🏋️ bangers" is a
workout playlist whatever the embedding thinks. Labels are the words the catalog uses (genres as in
``simulate/genres.py``), so a genre cue can be looked up among track genres directly.
"""

from __future__ import annotations

import re

MOODS: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "feel good", "good vibes", "sunshine", "smile", "joy", "☀", "😊", "😁", "🌞", "🌈"),
    "sad": (
        "sad",
        "crying",
        "cry",
        "heartbreak",
        "heartbroken",
        "tears",
        "breakup",
        "in my feels",
        "😢",
        "😭",
        "💔",
    ),
    "melancholic": ("rainy", "rain", "melancholy", "melancholic", "blue", "gloomy", "🌧", "☔", "🌦"),
    "chill": ("chill", "chill af", "chilled", "vibes", "mellow", "calm", "laid back", "lazy", "😌", "🌴"),
    "energetic": ("hype", "bangers", "banger", "pump up", "lit", "turn up", "energy", "🔥", "⚡", "💥"),
    "romantic": ("love", "romantic", "romance", "date night", "valentine", "❤", "💕", "😍", "🌹"),
    "angry": ("angry", "rage", "mad", "aggressive", "😡", "🤬"),
    "dreamy": ("dreamy", "dream", "ethereal", "floating", "✨", "🌙"),
}
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "workout": ("workout", "gym", "lifting", "training", "cardio", "beast mode", "🏋", "💪"),
    "running": ("running", "run", "jogging", "🏃"),
    "sleep": ("sleep", "sleeping", "bedtime", "lullaby", "night night", "💤", "😴", "🛌"),
    "study": ("study", "studying", "homework", "exam", "lofi beats", "📚", "📖", "✏"),
    "focus": ("focus", "concentration", "deep work", "coding", "productivity", "🧠", "💻"),
    "party": ("party", "pregame", "pre-game", "club", "dance floor", "🎉", "🥳", "🍾", "🪩"),
    "commute": ("commute", "commuting", "train ride", "bus ride", "subway", "🚇", "🚌"),
    "roadtrip": ("road trip", "roadtrip", "driving", "drive", "highway", "🚗", "🛣", "🚙"),
    "cooking": ("cooking", "kitchen", "dinner", "cook", "🍳", "🍝"),
    "relax": ("relax", "relaxing", "unwind", "spa", "yoga", "meditation", "🧘", "🛀"),
}
GENRES: dict[str, tuple[str, ...]] = {
    "pop": ("pop", "top 40", "hits", "🎤"),
    "rock": ("rock", "guitar", "🎸", "🤘"),
    "hip hop": ("hip hop", "hip-hop", "hiphop", "rap", "trap", "bars"),
    "r&b": ("r&b", "rnb", "r and b", "slow jams"),
    "edm": ("edm", "electro", "electronic", "house", "techno", "rave", "dubstep", "🎧"),
    "latin": ("latin", "latino", "reggaeton", "salsa", "bachata", "cumbia", "🇲🇽", "💃"),
    "jazz": ("jazz", "bebop", "swing", "bossa nova", "🎷", "🎺"),
    "classical": ("classical", "piano", "orchestra", "symphony", "baroque", "🎻", "🎹"),
    "country": ("country", "honky tonk", "🤠"),
    "metal": ("metal", "metalcore", "headbang"),
    "lo-fi": ("lofi", "lo-fi", "lo fi", "lofi beats"),
    "folk": ("folk", "acoustic", "singer-songwriter"),
    "soul": ("soul", "motown", "funk"),
    "indie": ("indie",),
    "k-pop": ("kpop", "k-pop"),
    "ambient": ("ambient", "drone"),
    "reggae": ("reggae", "dub", "ska"),
    "blues": ("blues",),
    "punk": ("punk",),
}
_WORDS = {
    "eighties": "80s",
    "nineties": "90s",
    "seventies": "70s",
    "sixties": "60s",
    "fifties": "50s",
    "y2k": "00s",
}
_DECADE = re.compile(r"(?<![\d])(?:19|20|')?([0-9]0)['’]?s\b")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-2]\d)\b")


def _pattern(cue: str) -> re.Pattern[str]:
    """Whole words for word cues ("rap" is not in "trap"), plain containment for emoji."""
    if any(ch.isalnum() for ch in cue):
        return re.compile(rf"(?<![\w&]){re.escape(cue)}(?![\w&])")
    return re.compile(re.escape(cue))


def _compile(table: dict[str, tuple[str, ...]]) -> list[tuple[re.Pattern[str], str, int]]:
    """Longest cue first, so "lofi beats" (study) is tried before "lofi"."""
    cues = [(cue, label) for label, words in table.items() for cue in words]
    return [(_pattern(cue), label, len(cue)) for cue, label in sorted(cues, key=lambda c: -len(c[0]))]


LEXICON = {"mood": _compile(MOODS), "activity": _compile(ACTIVITIES), "genre": _compile(GENRES)}


def normalise(title: str) -> str:
    """Lower case, emoji variation selectors and skin tones dropped (🏋️‍♀️ reads as 🏋)."""
    dropped = {0xFE0F, 0x200D, 0x2640, 0x2642, *range(0x1F3FB, 0x1F400)}
    return "".join(ch for ch in title.lower() if ord(ch) not in dropped)


def lexicon_label(dimension: str, title: str) -> str | None:
    """The label of the longest cue of ``dimension`` in a normalised title, or None."""
    for pattern, label, _ in LEXICON[dimension]:
        if pattern.search(title):
            return label
    return None


def era(title: str) -> str | None:
    """A decade such as "80s" or "00s" from "80s", "1980s", "'80s", "eighties", "y2k" or a year."""
    for word, decade in _WORDS.items():
        if re.search(rf"\b{word}\b", title):
            return decade
    if match := _DECADE.search(title):
        return f"{match.group(1)}s"
    if match := _YEAR.search(title):
        return f"{match.group(1)[2]}0s"
    return None
