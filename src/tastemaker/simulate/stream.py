"""The event stream: the catalog first, then listening day by day, sessions in order of their start.

Memory is bounded by one day's session schedule (a packed int per session, about 50 bytes) plus one
session's events; nothing else accumulates, however many events are generated. Sessions are emitted
in order of their start time across all listeners, and each session's events are in time order, so the
stream is ordered up to the length of a session: good enough for ingestion and for day partitions.
"""

from __future__ import annotations

from collections.abc import Iterator

from tastemaker.events.schema import Event, TrackAdded
from tastemaker.simulate.genres import GENRE_NAMES
from tastemaker.simulate.schedule import day_slots
from tastemaker.simulate.sessions import simulate_session
from tastemaker.simulate.sound import AUDIO_MODES, track_audio_url
from tastemaker.simulate.world import CATALOG_USER, World, album_id, artist_id, track_id

_SESSION_BITS = 4  # MAX_SESSIONS < 16
_USER_BITS = 40
_MS_BITS = 28  # deadlines stay under two days = 172.8 M ms < 2 ** 28


PARTS = ("all", "catalog", "listening")


def events(
    world: World, *, shard: tuple[int, int] = (0, 1), part: str = "all", audio: str = "none"
) -> Iterator[Event]:
    """Every event of the world: ``track_added`` for the whole catalog, then the listening.

    ``part`` picks only the ``"catalog"`` or only the ``"listening"`` (the demo loads the catalog
    first). ``shard=(k, n)`` yields only listeners ``k, k + n, k + 2n, ...`` (and the catalog only
    for ``k == 0``): listeners are independent, so ``n`` processes together write exactly the events
    of one, ``n`` times faster. ``audio="synth"`` gives each track a ``synth:`` audio URL (see
    ``catalog_events``); it changes nothing in the listening.
    """
    k, n = shard
    if not 0 <= k < n:
        msg = f"shard = {shard}: expected (k, n) with 0 <= k < n"
        raise ValueError(msg)
    if part not in PARTS:
        msg = f"part = {part!r}: expected one of {', '.join(PARTS)}"
        raise ValueError(msg)
    _check_audio(audio)
    if k == 0 and part != "listening":
        yield from catalog_events(world, audio=audio)
    if part != "catalog":
        yield from listening_events(world, shard=shard)


def catalog_events(world: World, *, audio: str = "none") -> Iterator[TrackAdded]:
    """One ``track_added`` per track, by user ``"catalog"`` at the start of the first day.

    With ``audio="synth"`` each carries ``audio_url``, a ``synth:`` URL with the track's tempo, key,
    mode and energy (``simulate/sound.py``); its event id differs from the one without audio, so a
    catalog sent again with audio is not dropped as a duplicate of the one sent without.
    """
    _check_audio(audio)
    catalog, ts = world.catalog, world.day_start(0)
    synth = audio == "synth"
    suffix = ".synth" if synth else ""
    for track in range(catalog.n_tracks):
        artist, album = catalog.track_artist[track], catalog.track_album[track]
        yield TrackAdded(
            user_id=CATALOG_USER,
            ts=ts,
            event_id=f"sim:{world.tag}:catalog.{track}{suffix}",
            track_id=track_id(track),
            track_name=catalog.track_names[track],
            artist_name=catalog.artist_names[artist],
            artist_id=artist_id(artist),
            album_id=album_id(album),
            album_name=catalog.album_names[album],
            duration_ms=catalog.track_duration_ms[track],
            release_date=catalog.album_release[album],
            genres=[GENRE_NAMES[g] for g in catalog.artist_genres[artist]],
            popularity=catalog.popularity(track),
            audio_url=track_audio_url(catalog, world.seed, track) if synth else None,
        )


def _check_audio(audio: str) -> None:
    if audio not in AUDIO_MODES:
        msg = f"audio = {audio!r}: expected one of {', '.join(AUDIO_MODES)}"
        raise ValueError(msg)


def listening_events(world: World, *, shard: tuple[int, int] = (0, 1)) -> Iterator[Event]:
    """Plays, skips, likes, follows, searches and playlists, day by day."""
    for day in range(world.days):
        for key in day_schedule(world, day, shard=shard):
            start_ms = key >> (_MS_BITS + _USER_BITS + _SESSION_BITS)
            deadline_ms = (key >> (_USER_BITS + _SESSION_BITS)) & ((1 << _MS_BITS) - 1)
            index = (key >> _SESSION_BITS) & ((1 << _USER_BITS) - 1)
            number = key & ((1 << _SESSION_BITS) - 1)
            state = world.listener_on(index, day)
            yield from simulate_session(
                world, state, day=day, number=number, start_ms=start_ms, deadline_ms=deadline_ms
            )


def day_schedule(world: World, day: int, *, shard: tuple[int, int] = (0, 1)) -> list[int]:
    """Every session of ``day`` as one packed int (start, deadline, listener, number), sorted by start."""
    weekday = world.day_start(day).weekday()
    keys: list[int] = []
    for index in range(shard[0], world.users, shard[1]):
        habits = world.tz_hours[index], world.activity[index]
        for number, (start_ms, deadline_ms) in enumerate(day_slots(world.seed, index, day, weekday, habits)):
            high = (start_ms << _MS_BITS) | deadline_ms
            keys.append((((high << _USER_BITS) | index) << _SESSION_BITS) | number)
    keys.sort()
    return keys
