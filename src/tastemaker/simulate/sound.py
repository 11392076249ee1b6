"""What each simulated track sounds like: tempo, key, mode and energy from its genre, as a ``synth:`` URL.

With ``--audio synth`` every ``track_added`` carries that URL, so the demo has audio to play and to
analyse without downloading any. The parameters follow the track's first (main) genre: techno is
fast and energetic, ambient slow and calm, minor keys are more common in metal than in country. Each
track's draws come from its own key ``(seed, "sound", track)``, so a track sounds the same whatever
else the world holds.
"""

from __future__ import annotations

from typing import NamedTuple

from tastemaker.audio.synth import MAX_DURATION_S, MAX_SEED, MIN_DURATION_S, SynthParams, synth_url
from tastemaker.simulate.catalog import Catalog
from tastemaker.simulate.genres import GENRES
from tastemaker.simulate.seeding import stable_seed, uniforms16

AUDIO_MODES = ("none", "synth")


class Sound(NamedTuple):
    """Typical musical traits of a genre: tempo range (BPM), mean energy 0–1, share in a major key."""

    tempo: tuple[float, float]
    energy: float
    major: float


_FAMILY_SOUND: dict[str, Sound] = {
    "pop": Sound((95, 128), 0.65, 0.65),
    "rock": Sound((100, 150), 0.75, 0.6),
    "hip hop": Sound((80, 100), 0.6, 0.45),
    "electronic": Sound((118, 132), 0.75, 0.45),
    "jazz": Sound((90, 180), 0.4, 0.6),
    "classical": Sound((60, 120), 0.2, 0.55),
    "folk": Sound((80, 130), 0.45, 0.75),
    "latin": Sound((90, 110), 0.7, 0.6),
}
# Genres that stray from their family.
_GENRE_SOUND: dict[str, Sound] = {
    "dance pop": Sound((115, 130), 0.78, 0.6),
    "singer-songwriter": Sound((70, 110), 0.35, 0.65),
    "punk": Sound((150, 200), 0.9, 0.6),
    "metal": Sound((100, 190), 0.92, 0.25),
    "shoegaze": Sound((90, 130), 0.6, 0.5),
    "trap": Sound((130, 150), 0.65, 0.3),
    "r&b": Sound((70, 100), 0.5, 0.5),
    "soul": Sound((70, 110), 0.5, 0.55),
    "funk": Sound((95, 120), 0.7, 0.55),
    "techno": Sound((125, 140), 0.85, 0.35),
    "trance": Sound((132, 142), 0.82, 0.45),
    "drum and bass": Sound((165, 178), 0.88, 0.4),
    "dubstep": Sound((138, 142), 0.85, 0.3),
    "edm": Sound((124, 130), 0.85, 0.55),
    "ambient": Sound((60, 90), 0.12, 0.55),
    "lo-fi": Sound((70, 90), 0.3, 0.5),
    "bossa nova": Sound((110, 140), 0.35, 0.6),
    "soundtrack": Sound((60, 110), 0.35, 0.5),
    "bluegrass": Sound((110, 160), 0.6, 0.85),
    "blues": Sound((70, 120), 0.5, 0.55),
    "reggaeton": Sound((88, 100), 0.78, 0.45),
    "reggae": Sound((70, 90), 0.55, 0.6),
    "afrobeats": Sound((100, 120), 0.72, 0.6),
    "flamenco": Sound((90, 150), 0.6, 0.3),
}
ENERGY_SPREAD = 0.12  # a track's energy is its genre's ± up to this much (uniform)


def genre_sound(genre: int) -> Sound:
    """The traits of genre ``genre`` (an index into ``GENRES``)."""
    name, family = GENRES[genre].name, GENRES[genre].family
    return _GENRE_SOUND.get(name) or _FAMILY_SOUND[family]


def track_sound(catalog: Catalog, seed: int, track: int) -> SynthParams:
    """Tempo, key, mode and energy of ``track``, from its main genre and its own stable draws.

    Examples:
        >>> from datetime import date
        >>> from tastemaker.simulate.catalog import build_catalog
        >>> catalog = build_catalog(seed=1, n_tracks=50, start=date(2024, 1, 1))
        >>> track_sound(catalog, 1, 3) == track_sound(catalog, 1, 3)
        True
    """
    sound = genre_sound(catalog.track_genres(track)[0])
    u = uniforms16(seed, "sound", track)
    low, high = sound.tempo
    energy = sound.energy + ENERGY_SPREAD * (2.0 * u[2] - 1.0)
    duration_s = catalog.track_duration_ms[track] / 1000.0
    return SynthParams(
        tempo_bpm=round(low + (high - low) * u[0]),
        key=min(11, int(12 * u[1])),
        mode=1 if u[3] < sound.major else 0,
        energy=round(min(1.0, max(0.0, energy)), 2),
        seed=stable_seed(seed, "sound", track) & MAX_SEED,
        duration_s=min(MAX_DURATION_S, max(MIN_DURATION_S, duration_s)),
    )


def track_audio_url(catalog: Catalog, seed: int, track: int) -> str:
    """The ``synth:`` URL of ``track``; its duration is the track's ``duration_ms``."""
    return synth_url(track_sound(catalog, seed, track))
