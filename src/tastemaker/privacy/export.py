"""Everything held about one listener, as a zip in the layout of Spotify's privacy export.

Layout (the folder names and file names are Spotify's, so our importer — ``tastemaker import
spotify`` — and other tools that read Spotify exports read this one back)::

    Spotify Extended Streaming History/Streaming_History_Audio_YYYY.json   every play and skip
    Spotify Account Data/Userdata.json        username, creation date
    Spotify Account Data/YourLibrary.json     liked tracks
    Spotify Account Data/Playlist1.json       the listener's playlists, generated ones included
    Tastemaker/account.json                   what the account holds besides its name (no secrets)
    Tastemaker/profile.json                   the Taste Profile: its summary and its whole state
    Tastemaker/wrapped_YYYY.json              each year's Wrapped recap
    Tastemaker/README.txt                     what each file is

History rows carry Spotify's fields. ``ts`` is when playback ended (Spotify's meaning), with
milliseconds when the start time has them, so a re-import lands each listen on the same instant.
``spotify_track_uri`` is ``tastemaker:track:<our id>``: we keep no Spotify ids. Fields we do not
hold (``reason_start``, ``shuffle``, ``offline``, ``platform``, ``conn_country``, ``ip_addr``, …)
are written as null, as Spotify does for unknown values.

Streamed: history is read one day at a time (``Store.listens(user, day)``) and handed on as
compressed chunks, so a heavy listener's export never sits whole in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from tastemaker.errors import NotFound
from tastemaker.privacy.zipstream import ChunkSink
from tastemaker.profiles.profile import ProfileParams, decode, summary
from tastemaker.storage.models import Listen, Playlist, Track
from tastemaker.storage.store import PLAYLIST_KINDS, Store

HISTORY_DIR = "Spotify Extended Streaming History"
ACCOUNT_DIR = "Spotify Account Data"
OWN_DIR = "Tastemaker"
LIKED = "liked"
URI_PREFIX = "tastemaker:track:"
_encoder = msgspec.json.Encoder(enc_hook=lambda value: _plain(value))
_README = """This archive holds everything Tastemaker keeps about one listener.

Spotify Extended Streaming History/Streaming_History_Audio_YYYY.json
  every play and skip, in Spotify's extended-history format (ts = when playback ended, UTC).
Spotify Account Data/Userdata.json, YourLibrary.json, Playlist1.json
  the account name, liked tracks and every playlist (generated ones too), as Spotify writes them.
Tastemaker/account.json   what the account holds besides its name (secrets are never exported).
Tastemaker/profile.json   the Taste Profile: the summary the API serves and its whole stored state.
Tastemaker/wrapped_YYYY.json  each year's Wrapped recap.

Read it back with: tastemaker import spotify THIS.zip --user NAME
"""


def user_exists(store: Store, user_id: str) -> bool:
    """Whether anything is held about ``user_id`` (an account, listens or a profile)."""
    return (
        store.get_user(user_id) is not None
        or bool(store.listen_days(user_id))
        or store.get_profile(user_id) is not None
    )


def stream_export(
    store: Store, user_id: str, *, params: ProfileParams, now: datetime | None = None
) -> Iterator[bytes]:
    """The export zip of ``user_id`` as byte chunks. Raises NotFound (before the first chunk) when
    nothing is held about the user."""
    if not user_exists(store, user_id):
        msg = f"nothing is held about user {user_id!r}: no account, no listens, no profile"
        raise NotFound(msg)
    return _chunks(store, user_id, params=params, now=now or datetime.now(UTC))


def _chunks(store: Store, user_id: str, *, params: ProfileParams, now: datetime) -> Iterator[bytes]:
    sink = ChunkSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        days = sorted(day for day, _count in store.listen_days(user_id))
        years = sorted({day.year for day in days})
        for year in years:
            entry = zipfile.ZipInfo(f"{HISTORY_DIR}/Streaming_History_Audio_{year}.json", _stamp(now))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as out:
                out.write(b"[")
                first = True
                for day in (d for d in days if d.year == year):
                    listens = list(reversed(store.listens(user_id, day)))  # oldest first
                    tracks = store.get_tracks({x.track_id for x in listens if not x.track_name})
                    for listen in listens:
                        row = history_row(listen, tracks.get(listen.track_id))
                        out.write(b"\n  " if first else b",\n  ")
                        out.write(_encoder.encode(row))
                        first = False
                    yield sink.take()
                out.write(b"\n]\n")
            yield sink.take()
        for name, document in _account_files(store, user_id, years, params=params, now=now):
            entry = zipfile.ZipInfo(name, _stamp(now))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, msgspec.json.format(_encoder.encode(document), indent=2) + b"\n")
            yield sink.take()
        archive.writestr(zipfile.ZipInfo(f"{OWN_DIR}/README.txt", _stamp(now)), _README)
    yield sink.take()


def _stamp(moment: datetime) -> tuple[int, int, int, int, int, int]:
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _iso(moment: datetime) -> str:
    """Spotify's ``2023-01-31T18:05:42Z``; milliseconds only when there are some."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history_row(listen: Listen, track: Track | None) -> dict[str, Any]:
    """One extended-streaming-history row, with Spotify's field names and order."""
    ended = listen.ts + timedelta(milliseconds=listen.ms_played)
    name = listen.track_name or (track.name if track else None)
    artist = listen.artist_name or (track.artist_name if track else None)
    album = listen.album_name or (track.album_name if track else None)
    return {
        "ts": _iso(ended),
        "platform": None,
        "ms_played": listen.ms_played,
        "conn_country": None,
        "ip_addr": None,
        "master_metadata_track_name": name,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": URI_PREFIX + listen.track_id,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": None,
        "reason_end": None,
        "shuffle": None,
        "skipped": listen.kind == "skip",
        "offline": None,
        "offline_timestamp": None,
        "incognito_mode": False,
        "tastemaker_event_id": listen.event_id,
        "tastemaker_context": listen.context,
    }


def _account_files(
    store: Store, user_id: str, years: list[int], *, params: ProfileParams, now: datetime
) -> Iterator[tuple[str, Any]]:
    user = store.get_user(user_id)
    created = user.created_at if user is not None else None
    yield (
        f"{ACCOUNT_DIR}/Userdata.json",
        {
            "username": user_id,
            "email": None,
            "country": None,
            "birthdate": None,
            "gender": None,
            "creationTime": created.date().isoformat() if created else None,
        },
    )
    playlists = [p for kind in PLAYLIST_KINDS for p in store.get_playlists(user_id, kind)]
    track_ids = {t for p in playlists for t in p.track_ids}
    tracks = store.get_tracks(track_ids)
    liked = [p for p in playlists if p.kind == LIKED]
    yield (
        f"{ACCOUNT_DIR}/YourLibrary.json",
        {
            "tracks": [_library_track(t, tracks.get(t)) for p in liked for t in p.track_ids],
            "albums": [],
            "shows": [],
            "episodes": [],
            "bannedTracks": [],
            "artists": [],
            "bannedArtists": [],
            "other": [],
        },
    )
    yield (
        f"{ACCOUNT_DIR}/Playlist1.json",
        {"playlists": [_playlist(p, tracks) for p in playlists if p.kind != LIKED]},
    )
    if user is not None:
        yield (
            f"{OWN_DIR}/account.json",
            {
                "name": user.name,
                "admin": user.admin,
                "created_at": created.isoformat() if created else None,
                "has_scrobble_password": user.scrobble_password_md5 is not None,
                "lastfm_sessions": len(user.lastfm_session_hashes),
                "note": "token and password hashes are credentials, not exported",
            },
        )
    data = store.get_profile(user_id)
    if data is not None:
        profile = decode(data)
        yield (
            f"{OWN_DIR}/profile.json",
            {
                "summary": summary(profile, params, now=now, n=params.top_k),
                "state": profile,
            },
        )
    for year in years:
        recap = store.get_recap(user_id, year)
        if recap is not None:
            yield f"{OWN_DIR}/wrapped_{year}.json", msgspec.json.decode(recap)


def _plain(value: Any) -> Any:
    """NumPy arrays and scalars in the profile state, as JSON lists and numbers."""
    if hasattr(value, "tolist"):
        return value.tolist()
    msg = f"cannot export a {type(value).__name__} in the profile"
    raise TypeError(msg)


def _library_track(track_id: str, track: Track | None) -> dict[str, Any]:
    return {
        "artist": track.artist_name if track else None,
        "album": track.album_name if track else None,
        "track": track.name if track else None,
        "uri": URI_PREFIX + track_id,
    }


def _playlist(playlist: Playlist, tracks: dict[str, Track]) -> dict[str, Any]:
    items = []
    for track_id in playlist.track_ids:
        track = tracks.get(track_id)
        items.append(
            {
                "track": {
                    "trackName": track.name if track else None,
                    "artistName": track.artist_name if track else None,
                    "albumName": track.album_name if track else None,
                    "trackUri": URI_PREFIX + track_id,
                },
                "episode": None,
                "localTrack": None,
                "addedDate": None,
            }
        )
    modified = playlist.updated_at
    return {
        "name": playlist.name,
        "lastModifiedDate": modified.date().isoformat() if modified else None,
        "items": items,
        "description": playlist.description,
        "numberOfFollowers": 0,
        "tastemaker": {"kind": playlist.kind, "playlist_id": playlist.playlist_id, "extra": playlist.extra},
    }
