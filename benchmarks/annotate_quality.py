"""Automatic annotation on real Spotify data: audio features → genre and → mood, and throughput.

1. **Genre** (``spotify_songs_tidytuesday``: 28,356 distinct tracks, 6 playlist genres): one row per
   track (its first playlist's genre), split by sha1 of the track id (1 in 4 to test). The shipped
   ``genre_model`` (logistic regression on the features, their squares and products, fitted on the
   training half: ``--write-model`` refits and rewrites it) against scikit-learn's
   ``LogisticRegression`` on the raw standardised features, same split. Macro-F1 and accuracy.
2. **Mood**: the same songs, with a mood read from their playlist's *name* by the title lexicon
   ("chill", "sad", "hype", "rage": 4 quadrants after ``combine.ALIASES``) as the reference; only
   songs whose playlist name has a mood cue. The audio labeler's valence × energy rule (no training)
   against a logistic regression trained on the training half. A weak reference: a playlist name is
   the curator's mood, not each song's.
3. **Transfer** (``spotify_tracks_10k_audiologic``: 10,000 tracks, no genre or mood column): its tracks
   that also appear in TidyTuesday are scored for genre; the label distribution of the rest is shown.
4. **Throughput**: the audio and era labelers plus the combiner on 10,000 real feature rows (the
   audiologic set), tracks per second; and the whole default ``annotate`` run (audio, text, playlists,
   era) against a real SQLite Store holding those tracks, their features and TidyTuesday's playlists
   of them as listeners' playlists (their real names go through ``title_signals``).
5. **Scale** (``--scale N``, parts 1 to 4 skipped): the same default run over a catalog of N tracks,
   the distinct audiologic tracks replicated (replica k > 0 gets track id ``<id>~k`` and artist id
   ``<artist>~k``; features, titles and release dates unchanged so every labeler does its real work),
   and TidyTuesday's playlists copied into each replica (same titles, same curators). Measures
   ``annotate`` itself: wall time, tracks/s and whether 100k tracks fit in 10 minutes (issue #8).

Needs ``../shared/data`` and scikit-learn (a dev dependency through librosa).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import CpuWindow, Row, log, print_grid, print_table, ratio, save_results
from benchmarks.audio_data import shared_data
from tastemaker.annotate import audio, genre_model, registry
from tastemaker.annotate.combine import canonical
from tastemaker.annotate.era import EraLabeler
from tastemaker.annotate.labeler import TrackContext
from tastemaker.annotate.run import USER_PLAYLISTS, annotate
from tastemaker.audio.model import AudioFeatures
from tastemaker.audio.records import FEATURE_FIELDS
from tastemaker.nlp.title_lexicon import lexicon_label, normalise
from tastemaker.storage.models import Playlist, Track

TEST_SHARE = 4
MOODS = ("happy", "chill", "sad", "angry")
TARGET_TRACKS = 100_000
TARGET_S = 600.0
"""Issue #8: 100k tracks annotated in at most 10 minutes on 2 cores."""


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _in_test(track_id: str) -> bool:
    return hashlib.sha1(track_id.encode()).digest()[0] % TEST_SHARE == 0


def _features(row: dict[str, str]) -> AudioFeatures:
    values = {name: float(row[name]) for name in genre_model.FEATURES if name not in ("duration_ms", "mode")}
    return AudioFeatures(
        **values,  # type: ignore[arg-type]
        key=int(float(row["key"])),
        mode=int(float(row["mode"])),
        time_signature=4,
        duration_ms=int(float(row.get("duration_ms") or row["duration"])),
    )


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for label in sorted(set(truth)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return float(np.mean([t == p for t, p in zip(truth, predicted, strict=True)]))


def baseline(train_x: np.ndarray, train_y: Sequence[str], test_x: np.ndarray) -> list[str]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    scaler = StandardScaler().fit(train_x)
    classifier = LogisticRegression(max_iter=2000).fit(scaler.transform(train_x), list(train_y))
    return [str(p) for p in classifier.predict(scaler.transform(test_x))]


def _pair(what: str, detail: str, target: str, numbers: dict[str, Any]) -> list[Row]:
    """Macro-F1 and accuracy rows, ours against the baseline."""
    return [
        Row(
            f"{what} {metric} ({detail})",
            target if metric == "macro-F1" else "",
            f"{numbers[f'ours_{key}']:.3f}",
            f"{numbers[f'baseline_{key}']:.3f}",
            ratio(numbers[f"ours_{key}"], numbers[f"baseline_{key}"]),
        )
        for metric, key in (("macro-F1", "macro_f1"), ("accuracy", "accuracy"))
    ]


def songs(data: Path) -> dict[str, dict[str, str]]:
    """Track id → its first row (TidyTuesday lists a song once per playlist it is in)."""
    first: dict[str, dict[str, str]] = {}
    for row in _rows(data / "spotify_songs_tidytuesday" / "spotify_songs.csv.gz"):
        if row["track_id"] and row["danceability"]:
            first.setdefault(row["track_id"], row)
    return first


def genre_part(rows: dict[str, dict[str, str]], *, write_model: bool) -> tuple[list[Row], dict[str, Any]]:
    train = [r for t, r in rows.items() if not _in_test(t)]
    test = [r for t, r in rows.items() if _in_test(t)]
    train_x = genre_model.raw_matrix([_features(r) for r in train])
    test_x = genre_model.raw_matrix([_features(r) for r in test])
    train_y = [canonical("genre", r["playlist_genre"]) for r in train]
    truth = [canonical("genre", r["playlist_genre"]) for r in test]
    if write_model:
        model = genre_model.fit(train_x, train_y)
        genre_model.MODEL_FILE.write_text(json.dumps(model.as_json()) + "\n")
        log(f"wrote {genre_model.MODEL_FILE.name} ({genre_model.MODEL_FILE.stat().st_size} bytes)")
    shipped = genre_model.shipped()
    ours = [shipped.classes[i] for i in shipped.probabilities(test_x).argmax(axis=1)]
    base = baseline(train_x, train_y, test_x)
    numbers = {
        "train": len(train),
        "test": len(test),
        "ours_macro_f1": macro_f1(truth, ours),
        "baseline_macro_f1": macro_f1(truth, base),
        "ours_accuracy": accuracy(truth, ours),
        "baseline_accuracy": accuracy(truth, base),
    }
    return _pair("genre", "6 classes", "≥ baseline", numbers), numbers


def mood_part(rows: dict[str, dict[str, str]]) -> tuple[list[Row], dict[str, Any]]:
    labelled = []
    for track_id, row in rows.items():
        cue = lexicon_label("mood", normalise(row["playlist_name"]))
        if cue is not None and canonical("mood", cue) in MOODS:
            labelled.append((track_id, row, canonical("mood", cue)))
    train = [(r, m) for t, r, m in labelled if not _in_test(t)]
    test = [(r, m) for t, r, m in labelled if _in_test(t)]
    truth = [m for _, m in test]
    ours = [(found[0] if (found := audio.mood(_features(r))) else "none") for r, _ in test]
    base = baseline(
        genre_model.raw_matrix([_features(r) for r, _ in train]),
        [m for _, m in train],
        genre_model.raw_matrix([_features(r) for r, _ in test]),
    )
    numbers = {
        "songs_with_mood_cue": len(labelled),
        "test": len(test),
        "reference": dict(Counter(truth)),
        "ours_macro_f1": macro_f1(truth, ours),
        "baseline_macro_f1": macro_f1(truth, base),
        "ours_accuracy": accuracy(truth, ours),
        "baseline_accuracy": accuracy(truth, base),
    }
    return _pair("mood", "4 quadrants, playlist-name reference", "report", numbers), numbers


def audiologic(data: Path) -> list[dict[str, str]]:
    """The audiologic rows that have every feature the labelers read (some ids appear twice)."""
    needed = ("duration", "key", "mode", *[n for n in genre_model.FEATURES if n != "duration_ms"])
    return [
        r
        for r in _rows(data / "spotify_tracks_10k_audiologic" / "spotify_data.csv.gz")
        if all(r.get(name) for name in needed)
    ]


def transfer_and_speed(
    data: Path, genres: dict[str, dict[str, str]], quick: bool
) -> tuple[list[Row], dict[str, float]]:
    rows = audiologic(data)
    if quick:
        rows = rows[:2000]
    contexts = [
        TrackContext(
            track_id=f"{i}:{r['id']}",
            track=Track(track_id=r["id"], name=r["name"], release_date=r["release_date"] or None),
            features=_features(r),
        )
        for i, r in enumerate(rows)
    ]
    labeler, era = audio.AudioLabeler(), EraLabeler()
    started = time.perf_counter()
    found = [a + b for a, b in zip(labeler.labels(contexts), era.labels(contexts), strict=True)]
    from tastemaker.annotate.combine import combine

    combined = [combine(labels) for labels in found]
    labelers_rate = len(contexts) / (time.perf_counter() - started)
    shared = [(c, genres[c.track.track_id]) for c in contexts if c.track and c.track.track_id in genres]
    index = {c.track_id: i for i, c in enumerate(contexts)}
    truth = [canonical("genre", g["playlist_genre"]) for _, g in shared]
    predicted = [combined[index[c.track_id]].get("genre", {}).get("value", "none") for c, _ in shared]
    numbers: dict[str, float] = {
        "tracks": len(contexts),
        "labelers_tracks_per_s": labelers_rate,
        "overlap_with_tidytuesday": len(shared),
        "overlap_genre_macro_f1": macro_f1(truth, predicted) if shared else 0.0,
    }
    log(
        "genre distribution on audiologic: " + str(Counter(c.get("genre", {}).get("value") for c in combined))
    )
    log("mood distribution on audiologic: " + str(Counter(c.get("mood", {}).get("value") for c in combined)))
    tracks, seconds, titles_s = _store_run(data, contexts)
    per_track_s = (seconds - titles_s) / tracks
    numbers |= {"store_tracks": tracks, "store_seconds": seconds, "playlist_labeler_seconds": titles_s}
    numbers["store_tracks_per_s"] = tracks / seconds
    # 100k tracks: the per-track cost 100k times, the titles' embedding once (the same curated titles)
    extrapolated = numbers["minutes_for_100k"] = (per_track_s * 100_000 + titles_s) / 60
    stored = f"annotate run, 4 labelers, SQLite Store ({tracks} tracks), tracks/s"
    overlap = f"genre macro-F1 on audiologic ∩ TidyTuesday ({len(shared)} tracks)"
    per_track = f"… of which per track (titles' one-off embedding, {titles_s:.1f} s, left out), tracks/s"
    return [
        Row("audio+era labelers and combiner, tracks/s", "", f"{labelers_rate:.0f}", "", ""),
        Row(stored, "", f"{numbers['store_tracks_per_s']:.0f}", "", ""),
        Row(
            per_track, "≥ 167 (100k in 10 min)", f"{1 / per_track_s:.0f}", "", f"100k: {extrapolated:.1f} min"
        ),
        Row(overlap, "report", f"{numbers['overlap_genre_macro_f1']:.3f}", "", ""),
    ], numbers


def _playlists(data: Path, wanted: set[str]) -> list[Playlist]:
    """TidyTuesday's curated playlists, cut to the tracks of the run, each under its own curator."""
    members: dict[tuple[str, str], list[str]] = {}
    for row in _rows(data / "spotify_songs_tidytuesday" / "spotify_songs.csv.gz"):
        if row["track_id"] in wanted:
            members.setdefault((row["playlist_id"], row["playlist_name"]), []).append(row["track_id"])
    return [
        Playlist(user_id=f"curator-{n}", kind=USER_PLAYLISTS, playlist_id=pid, name=name, track_ids=ids)
        for n, ((pid, name), ids) in enumerate(members.items())
    ]


def _store_run(data: Path, contexts: Sequence[TrackContext]) -> tuple[int, float, float]:
    """The whole default run (audio, text, playlists, era: batched reads, combine, one write per track)
    against the default SQLite Store, with TidyTuesday's playlists of these tracks as user playlists.
    Text models load before the clock starts (a one-off 10 s per process). Returns the tracks, the
    seconds, and the seconds the playlist labeler spent (mostly embedding each distinct title once)."""
    from tastemaker.backends import STORES, open_backend
    from tastemaker.nlp.embeddings import embed

    embed(["warm up"])
    ids = list(dict.fromkeys(c.track_id.split(":", 1)[1] for c in contexts))
    playlists = _playlists(data, set(ids))
    with tempfile.TemporaryDirectory(prefix="annotate-bench-") as folder:
        store = open_backend(STORES, f"sqlite:///{folder}/store.db")
        try:
            store.put_tracks([c.track for c in contexts if c.track is not None])
            store.put_playlists(playlists)
            for c in contexts:
                if c.features is not None:
                    row = {k: getattr(c.features, k) for k in FEATURE_FIELDS}
                    store.put_features(c.track_id.split(":", 1)[1], row)
            labelers = [registry.create(name) for name in registry.DEFAULT]
            started = time.perf_counter()
            report = annotate(store, ids, labelers, users=[p.user_id for p in playlists])
            seconds = time.perf_counter() - started
            log(f"{len(playlists)} playlists\n" + report.summary())
        finally:
            store.close()
    return len(ids), seconds, report.labelers["playlists"].seconds


def _replica_id(value: str, replica: int) -> str:
    return value if replica == 0 else f"{value}~{replica}"


def _replica(
    rows: Sequence[dict[str, str]], replica: int
) -> tuple[list[Track], list[tuple[str, AudioFeatures]]]:
    """One copy of the base catalog: new track and artist ids, the same titles, dates and features."""
    tracks = [
        Track(
            track_id=_replica_id(r["id"], replica),
            name=r["name"],
            artist_id=_replica_id(r["artist"], replica) if r.get("artist") else None,
            release_date=r["release_date"] or None,
            duration_ms=int(float(r["duration"])),
        )
        for r in rows
    ]
    return tracks, [(_replica_id(r["id"], replica), _features(r)) for r in rows]


def _replica_playlists(playlists: Sequence[Playlist], members: set[str], replica: int) -> list[Playlist]:
    """The base playlists cut to the tracks of this replica, under the same curators and titles."""
    copies = []
    for playlist in playlists:
        ids = [_replica_id(t, replica) for t in playlist.track_ids if t in members]
        if ids:
            copies.append(
                Playlist(
                    user_id=playlist.user_id,
                    kind=USER_PLAYLISTS,
                    playlist_id=_replica_id(playlist.playlist_id, replica),
                    name=playlist.name,
                    track_ids=ids,
                )
            )
    return copies


def _fill(url: str, base: Sequence[dict[str, str]], size: int, playlists: Sequence[Playlist]) -> list[str]:
    """Write ``size`` tracks, their features and the playlists, one replica at a time (memory stays at
    one replica). Durability is off while filling: the setup is not what is measured. Returns the ids."""
    from tastemaker.backends import STORES, open_backend

    ids: list[str] = []
    store = open_backend(STORES, f"{url}?synchronous=OFF")
    try:
        for replica in range(-(-size // len(base))):
            rows = base[: min(len(base), size - replica * len(base))]
            tracks, features = _replica(rows, replica)
            store.put_tracks(tracks)
            for track_id, found in features:
                store.put_features(track_id, {k: getattr(found, k) for k in FEATURE_FIELDS})
            store.put_playlists(_replica_playlists(playlists, {r["id"] for r in rows}, replica))
            ids += [t.track_id for t in tracks]
            if replica % 4 == 3:
                log(f"filled {len(ids):,} tracks")
    finally:
        store.close()
    return ids


def _progress(total: int) -> Callable[[int], None]:
    done = 0

    def step(batch: int) -> None:
        nonlocal done
        done += batch
        if done % 10_000 < batch or done == total:
            log(f"annotated {done:,} of {total:,}")

    return step


def scale_run(data: Path, size: int) -> tuple[list[Row], dict[str, Any]]:
    """``annotate`` with the default labelers over ``size`` tracks in a fresh SQLite Store (default
    URL: ``synchronous=FULL``, one durable labels write per track), the text model loaded first."""
    from tastemaker.backends import STORES, open_backend
    from tastemaker.nlp.embeddings import embed

    base = list({r["id"]: r for r in reversed(audiologic(data))}.values())[::-1]  # first row per id
    playlists = _playlists(data, {r["id"] for r in base})
    embed(["warm up"])
    with tempfile.TemporaryDirectory(prefix="annotate-scale-") as folder:
        url = f"sqlite:///{folder}/store.db"
        filling = time.perf_counter()
        ids = _fill(url, base, size, playlists)
        fill_s = time.perf_counter() - filling
        db_mb = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6
        log(f"catalog: {len(ids):,} tracks, {db_mb:.0f} MB, filled in {fill_s:.0f} s; annotating")
        users = sorted({p.user_id for p in playlists})
        store = open_backend(STORES, url)
        try:
            labelers = [registry.create(name) for name in registry.DEFAULT]
            load_before = os.getloadavg()
            with CpuWindow() as cpu:
                report = annotate(store, ids, labelers, users=users, on_batch=_progress(len(ids)))
            load_after = os.getloadavg()
            log(report.summary())
        finally:
            store.close()
    seconds = cpu.wall_s
    rate = len(ids) / seconds
    minutes_100k = TARGET_TRACKS / rate / 60
    met = minutes_100k * 60 <= TARGET_S
    numbers: dict[str, Any] = {
        "tracks": len(ids),
        "distinct_base_tracks": len(base),
        "replicas": -(-len(ids) // len(base)),
        "playlists_per_replica": len(playlists),
        "curators": len(users),
        "fill_seconds": fill_s,
        "store_mb": db_mb,
        "seconds": seconds,
        "tracks_per_s": rate,
        "minutes_for_100k": minutes_100k,
        "measured_at_100k": len(ids) >= TARGET_TRACKS,
        "target_met": met,
        "playlist_labeler_seconds": report.labelers["playlists"].seconds,
        "written": report.written,
        "labelled": {name: r.labelled for name, r in report.labelers.items()},
        "cpu": cpu.as_dict(),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    kind = "measured" if numbers["measured_at_100k"] else f"scaled from {len(ids):,}"
    return [
        Row(f"annotate run, 4 labelers, SQLite Store, {len(ids):,} tracks, wall s", "", f"{seconds:.0f}"),
        Row("… tracks/s", "≥ 167", f"{rate:.0f}"),
        Row(f"100k tracks, minutes ({kind})", "≤ 10", f"{minutes_100k:.1f}", "", "met" if met else "NOT met"),
        Row(
            "cores: this run (rest of the machine)",
            "",
            f"{cpu.own_cores:.2f} ({cpu.other_cores:.2f})",
            "",
            f"load {load_before[0]:.1f} → {load_after[0]:.1f}",
        ),
        Row("peak RSS, MB", "", f"{numbers['peak_rss_mb']:.0f}"),
    ], numbers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks annotate_quality")
    parser.add_argument("--quick", action="store_true", help="2,000 tracks for the throughput part")
    parser.add_argument(
        "--write-model", action="store_true", help="refit and rewrite the shipped genre model"
    )
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="only time the default annotate run over N tracks (the real ones replicated); 100000 for #8",
    )
    args = parser.parse_args(argv)
    data = shared_data()
    if args.scale is not None:
        if args.scale < 1:
            parser.error("--scale needs a positive number of tracks")
        scale_rows, scale_numbers = scale_run(data, args.scale)
        print_table(f"Annotation at scale: {args.scale:,} tracks (issue #8: 100k in ≤ 10 min)", scale_rows)
        save_results("annotate_quality_scale", scale_numbers)
        return 0
    rows = songs(data)
    genre_rows, genre_numbers = genre_part(rows, write_model=args.write_model)
    mood_rows, mood_numbers = mood_part(rows)
    speed_rows, speed_numbers = transfer_and_speed(data, rows, args.quick)
    print_table(
        "Annotation quality: audio features → genre and mood, same split as the baseline",
        [*genre_rows, *mood_rows, *speed_rows],
    )
    reference = sorted(mood_numbers["reference"].items())
    print_grid(
        "Mood reference (playlist-name cue) in the test half",
        ["mood", "songs"],
        [[k, str(v)] for k, v in reference],
    )
    save_results(
        "annotate_quality",
        {"genre": genre_numbers, "mood": mood_numbers, "speed": speed_numbers, "quick": args.quick},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
