"""The recap: what one listener's Wrapped says, as msgspec Structs (the JSON the API serves).

Numbers are exact where they can be (minutes from integer milliseconds, rounded to 0.1), so that
every engine produces byte-identical recaps from the same archive.
"""

from __future__ import annotations

import msgspec

RECAP_VERSION = 1


class RankedArtist(msgspec.Struct, kw_only=True):
    rank: int
    artist_id: str
    name: str
    minutes: float
    streams: int


class RankedTrack(msgspec.Struct, kw_only=True):
    rank: int
    track_id: str
    name: str
    artist_name: str
    minutes: float
    streams: int


class RankedAlbum(msgspec.Struct, kw_only=True):
    rank: int
    album_id: str
    name: str
    artist_name: str
    minutes: float
    streams: int


class RankedGenre(msgspec.Struct, kw_only=True):
    rank: int
    genre: str
    minutes: float
    share: float
    """Of the year's minutes on tracks with a genre, 0–1."""


class MonthTopTrack(msgspec.Struct, kw_only=True):
    month: int
    """1–12."""
    track_id: str
    name: str
    artist_name: str
    streams: int


class Streak(msgspec.Struct, kw_only=True):
    days: int
    start: str
    """ISO date of the streak's first day."""
    end: str


class NewArtists(msgspec.Struct, kw_only=True):
    count: int
    minutes_share: float
    """Of the year's minutes, the share spent on artists first heard this year, 0–1."""
    examples: list[RankedArtist]


class ReplayedDay(msgspec.Struct, kw_only=True):
    date: str
    track_id: str
    name: str
    artist_name: str
    streams: int


class TopArtistRank(msgspec.Struct, kw_only=True):
    artist_id: str
    name: str
    top_percent: float
    """The listener is in the top ``top_percent`` % of this artist's listeners by minutes (0.1–100)."""
    listeners: int


class AudioMood(msgspec.Struct, kw_only=True):
    valence: float
    energy: float
    danceability: float
    tempo: float
    mood: str
    """A short name for the year's sound, e.g. "Bright and energetic"."""
    minutes_share: float
    """Of the year's minutes, the share on tracks whose audio features are known."""


class Personality(msgspec.Struct, kw_only=True):
    code: str
    """Four letters: F/E, T/N, L/V, C/U."""
    name: str
    description: str
    axes: dict[str, float]
    """exploration, newness, variety, uniqueness: each 0–1 (1 = E, N, V, U)."""


class Recap(msgspec.Struct, kw_only=True):
    user_id: str
    year: int
    version: int = RECAP_VERSION
    minutes_listened: float
    streams: int
    """Plays of 30 s or more, Spotify's definition of a stream."""
    distinct_tracks: int
    distinct_artists: int
    top_artists: list[RankedArtist]
    top_tracks: list[RankedTrack]
    top_albums: list[RankedAlbum]
    top_genres: list[RankedGenre]
    top_track_by_month: list[MonthTopTrack]
    listening_clock: list[list[float]]
    """Minutes by weekday (0 = Monday) × UTC hour (0–23)."""
    longest_streak: Streak | None
    new_artists: NewArtists
    most_replayed_day: ReplayedDay | None
    top_artist_rank: TopArtistRank | None
    audio_mood: AudioMood | None
    personality: Personality
