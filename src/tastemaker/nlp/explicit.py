"""Whether lyrics are explicit: whole words from a small curated list, case-insensitive, seeing through
the usual obfuscations (``f*ck``, ``sh1t``, ``$hit``, ``b!tch``, ``fuuuck``).

Whole words only, so "class", "Scunthorpe" and "cocktail" stay clean. The list is deliberately short:
strong profanity and slurs that streaming services flag, not every rude word; a label from the catalog
(Spotify's ``explicit``) wins over this guess wherever one exists.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORDS = frozenset(
    (
        "fuck", "fucks", "fucked", "fucker", "fuckers", "fucking", "fuckin", "motherfucker", "motherfuckers",
        "motherfucking", "muthafucka", "shit", "shits", "shitty", "bullshit", "bitch", "bitches", "bitchin",
        "pussy", "pussies", "dick", "dicks", "cock", "cocks", "cunt", "cunts", "asshole", "assholes", "whore",
        "whores", "slut", "sluts", "nigga", "niggas", "nigger", "niggers", "faggot", "faggots", "fag", "fags",
        "twat", "wanker", "bastard", "bastards", "dickhead", "jizz", "cum", "blowjob", "handjob", "dildo",
        "tits", "titties",
    )
)  # fmt: skip
_LEET = str.maketrans(
    {"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s", "7": "t"}
)
_TOKEN = re.compile(r"[\w@$!*]+", re.UNICODE)
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=4096)
def _masked(pattern: str) -> bool:
    """``f**k``: a listed word of the same length whose letters agree wherever one is shown."""
    regex = re.compile(re.escape(pattern).replace(r"\*", "[a-z]"))
    return any(regex.fullmatch(word) for word in WORDS)


def _word_is_explicit(token: str) -> bool:
    word = token.lower().strip("!").translate(_LEET)
    if not word.strip("*") or not any(c.isalpha() for c in word):
        return False
    if "*" in word.strip("*"):
        return _masked(word.strip("*"))
    word = word.strip("*")
    return word in WORDS or _REPEATS.sub(r"\1", word) in WORDS


def explicit_words(text: str) -> list[str]:
    """The tokens that make ``text`` explicit, as written."""
    return [token for token in _TOKEN.findall(text) if _word_is_explicit(token)]


def is_explicit(text: str) -> bool:
    return any(_word_is_explicit(token) for token in _TOKEN.findall(text))
