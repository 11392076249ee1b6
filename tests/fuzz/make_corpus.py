"""Write the seed corpora in tests/fuzz/corpus/<target>/ (run once; the files are committed).

Each seed is a tiny valid input with the harness's selector byte in front, so the fuzzer starts from
inputs that reach deep into each format instead of guessing its syntax.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import soundfile

CORPUS = Path(__file__).parent / "corpus"

PLAY = {
    "type": "play",
    "ts": "2025-03-01T12:00:00Z",
    "track_name": "Teardrop",
    "artist_name": "Massive Attack",
    "ms_played": 200000,
}
EVENTS = {
    "json-one.bin": b"\x00" + json.dumps({"events": [PLAY]}).encode(),
    "json-kinds.bin": b"\x00"
    + json.dumps(
        {
            "events": [
                PLAY,
                {**PLAY, "type": "skip", "ms_played": 3000},
                {"type": "like", "ts": "2025-03-01T12:00:00+02:00", "track_id": "t1"},
            ]
        }
    ).encode(),
    "ndjson.bin": b"\x01" + b"\n".join(json.dumps(e).encode() for e in (PLAY, {**PLAY, "event_id": "x"})),
}
SPOTIFY_ACCOUNT = [
    {
        "endTime": "2024-01-01 10:00",
        "artistName": "Massive Attack",
        "trackName": "Teardrop",
        "msPlayed": 200000,
    }
]
SPOTIFY_EXTENDED = [
    {
        "ts": "2024-01-01T10:00:00Z",
        "ms_played": 200000,
        "master_metadata_track_name": "Teardrop",
        "master_metadata_album_artist_name": "Massive Attack",
        "master_metadata_album_album_name": "Mezzanine",
        "spotify_track_uri": "spotify:track:67Hna13dNDkZvBpTXRIaOJ",
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        "incognito_mode": False,
    }
]
LISTEN = {
    "listened_at": 1700000000,
    "user_name": "lb",
    "track_metadata": {
        "artist_name": "Massive Attack",
        "track_name": "Teardrop",
        "release_name": "Mezzanine",
        "additional_info": {"duration_ms": 330000},
    },
}
MALOJA = {
    "scrobbles": [
        {
            "time": 1700000000,
            "track": {
                "artists": ["Massive Attack"],
                "title": "Teardrop",
                "album": {"albumtitle": "Mezzanine"},
                "length": 330,
            },
            "duration": 200,
        }
    ]
}
IMPORTS = {
    "spotify-account.bin": b"\x00" + json.dumps(SPOTIFY_ACCOUNT).encode(),
    "spotify-extended.bin": b"\x01" + json.dumps(SPOTIFY_EXTENDED).encode(),
    "listenbrainz.bin": b"\x02" + json.dumps(LISTEN).encode() + b"\n" + json.dumps(LISTEN).encode(),
    "lastfm.bin": b"\x03Massive Attack,Mezzanine,Teardrop,31 Jan 2021 18:05\n"
    b'"Crosby, Stills & Nash",CSN,Judy,31 Jan 2021 17:58\n',
    "lastfm-header.bin": b"\x03uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
    b"1612116300,31 Jan 2021 18:05,Massive Attack,,Mezzanine,,Teardrop,\n",
    "maloja.bin": b"\x04" + json.dumps(MALOJA).encode(),
}


def tone(format: str, subtype: str) -> bytes:
    t = np.arange(8000) / 8000
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, 8000, format=format, subtype=subtype)
    return buffer.getvalue()


AUDIO = {
    "tone.wav.bin": b"\x00" + tone("WAV", "PCM_16"),
    "tone.flac.bin": b"\x01" + tone("FLAC", "PCM_16"),
    "tone.ogg.bin": b"\x02" + tone("OGG", "VORBIS"),
}

if __name__ == "__main__":
    for target, seeds in (("event_decoder", EVENTS), ("importers", IMPORTS), ("audio_decoder", AUDIO)):
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(target, len(seeds), "seeds,", sum(map(len, seeds.values())), "bytes")
