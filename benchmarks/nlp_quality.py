"""The text models on real data: playlist name → genre, lyrics → valence, and embedding throughput.

1. **Title → genre** (``spotify_songs_tidytuesday``: 32,833 songs in 449 playlists, 6 genres): split by
   playlist *name* (sha1 of the name, 1 in 4 to test), so no name is in both halves; each name trains
   once with its majority genre. ``train_title_genre`` (nearest centroid over MiniLM embeddings) against
   the majority class of the training names, scored per test playlist and per test song.
2. **Lyrics → valence** (``emomusic_1000songs``: Whisper transcripts of 45 s excerpts with annotated
   mean valence 1–9; MoodyLyrics has no lyrics, only artist/title). Transcripts with at least 5 words
   besides Whisper's "Music" filler. Pearson and Spearman correlation of ``sentiment.valence`` (VADER
   per line) against two baselines measured the same way: VADER on the whole text at once, and the
   word count; and, for reference, a zero-shot valence from the embedding (``VALENCE_POLES``).
3. **Throughput**: ``embed`` on 2,000 distinct short titles and on 256 lyrics of ≥ 256 tokens (cut to
   the model's 256), cache cleared first, model loaded and warmed before timing; then the same titles
   again (in-process cache hits). Once with torch on every core (the default) and once on one thread:
   texts per wall second and per CPU second of this process, and the load average, because on a
   machine that other processes keep busy torch's thread pool waits on itself.

Needs the ``nlp`` extra and ``../shared/data``; ``--quick`` uses fewer texts for the throughput part.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks._harness import Row, log, print_table, ratio
from benchmarks.audio_data import DataMissing, shared_data
from tastemaker.nlp import embeddings
from tastemaker.nlp.requires import optional_import
from tastemaker.nlp.sentiment import valence
from tastemaker.nlp.titles import train_title_genre

TEST_SHARE = 4  # 1 name in 4 goes to the test half
VALENCE_POLES = (
    ("a happy cheerful joyful song", "feeling good, smiling, having fun, celebrating", "love and sunshine"),
    ("a sad depressing song", "crying, pain, loneliness and despair", "darkness, death and sorrow"),
)
"""A zero-shot valence from the embedding, measured beside VADER's to show whether it would add much."""


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _in_test(name: str) -> bool:
    return hashlib.sha1(name.encode()).digest()[0] % TEST_SHARE == 0


def title_genre(data: Path) -> list[Row]:
    songs = _rows(data / "spotify_songs_tidytuesday" / "spotify_songs.csv.gz")
    genres_of: dict[str, Counter[str]] = defaultdict(Counter)
    for song in songs:
        genres_of[song["playlist_name"]][song["playlist_genre"]] += 1
    genre = {name: counts.most_common(1)[0][0] for name, counts in genres_of.items()}
    train = sorted(name for name in genre if not _in_test(name))
    test = sorted(name for name in genre if _in_test(name))
    log(f"title → genre: {len(train)} training names, {len(test)} test names")
    classifier = train_title_genre(train, [genre[name] for name in train])
    predicted = dict(zip(test, classifier.predict(test), strict=True))
    majority = Counter(genre[name] for name in train).most_common(1)[0][0]
    per_name = np.mean([predicted[name] == genre[name] for name in test])
    base_name = np.mean([genre[name] == majority for name in test])
    test_songs = [song for song in songs if song["playlist_name"] in predicted]
    per_song = np.mean([predicted[s["playlist_name"]] == s["playlist_genre"] for s in test_songs])
    base_song = np.mean([s["playlist_genre"] == majority for s in test_songs])
    return [
        Row(f"accuracy per playlist ({len(test)} names)", "≥ 2× majority", f"{per_name:.3f}",
            f"{base_name:.3f} (all '{majority}')", ratio(float(per_name), float(base_name))),
        Row(f"accuracy per song ({len(test_songs)} songs)", "≥ 2× majority", f"{per_song:.3f}",
            f"{base_song:.3f}", ratio(float(per_song), float(base_song))),
    ]  # fmt: skip


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ranks_a = np.argsort(np.argsort(a))
    ranks_b = np.argsort(np.argsort(b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def lyrics_valence(data: Path) -> list[Row]:
    from tastemaker.nlp.sentiment import _vader

    folder = data / "emomusic_1000songs"
    annotated = {r["song_id"]: float(r["mean_valence"]) for r in _rows(folder / "static_annotations.csv.gz")}
    pairs = [
        (r["whisper_text"], annotated[r["song_id"]])
        for r in _rows(folder / "whisper_transcripts.csv.gz")
        if r["song_id"] in annotated and len(re.sub(r"\bMusic\b", "", r["whisper_text"]).split()) >= 5
    ]
    truth = [value for _, value in pairs]
    ours = [valence(text) for text, _ in pairs]
    whole = [float(_vader().polarity_scores(text)["compound"]) for text, _ in pairs]
    words = [float(len(text.split())) for text, _ in pairs]
    vectors = embeddings.embed([text for text, _ in pairs])
    poles = [embeddings.embed(list(descriptions)).mean(axis=0) for descriptions in VALENCE_POLES]
    zero_shot = vectors @ (poles[0] / np.linalg.norm(poles[0])) - vectors @ (
        poles[1] / np.linalg.norm(poles[1])
    )
    rows = []
    for name, values in (
        ("embedding zero-shot, happy − sad (not used)", zero_shot.tolist()),
        ("valence (VADER per line)", ours),
        ("VADER, whole text", whole),
        ("word count", words),
    ):
        pearson = float(np.corrcoef(values, truth)[0, 1])
        rows.append(Row(f"{name}: Pearson / Spearman r, {len(pairs)} songs", "> baselines",
                        f"{pearson:.3f} / {_spearman(values, truth):.3f}"))  # fmt: skip
    return rows


def _rate(texts: list[str]) -> tuple[float, float]:
    """Texts per wall second, and per CPU second of this process (steady when other processes load
    the machine; two idle cores can reach about twice the second number)."""
    started, cpu = time.perf_counter(), time.process_time()
    embeddings.embed(texts)
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu)


def throughput(data: Path, *, quick: bool) -> list[Row]:
    songs = _rows(data / "spotify_songs_tidytuesday" / "spotify_songs.csv.gz")
    titles = list(dict.fromkeys(s["track_name"] for s in songs if s["track_name"]))[: 500 if quick else 2000]
    transcripts = [
        r["whisper_text"] for r in _rows(data / "emomusic_1000songs" / "whisper_transcripts.csv.gz")
    ]
    prose = " ".join(t for t in transcripts if "Music" not in t).split()
    lyrics = [" ".join(prose[i * 7 : i * 7 + 300]) for i in range(64 if quick else 256)]
    started = time.perf_counter()
    embeddings.embed(["warm up"])
    log(f"model loaded in {time.perf_counter() - started:.1f} s")
    torch = optional_import("torch")
    cores = embeddings.torch_threads()
    rows: list[Row] = []
    for threads in dict.fromkeys((cores, 1)):
        torch.set_num_threads(threads)
        embeddings.clear_cache()
        embeddings.embed(titles[:64])  # first batches pay one-off allocations
        embeddings.clear_cache()
        title_rate = _rate(titles)
        lyric_rate = _rate(lyrics)
        cached_rate = _rate(titles)
        load = os.getloadavg()[0]
        rows += [
            Row(f"{threads} thread(s): {len(titles)} short titles, texts/s · per CPU-s", "≥ 500 on 2 cores",
                f"{title_rate[0]:,.0f} · {title_rate[1]:,.0f}"),
            Row(f"{threads} thread(s): {len(lyrics)} lyrics cut to 256 tokens, texts/s · per CPU-s", "",
                f"{lyric_rate[0]:,.0f} · {lyric_rate[1]:,.0f}"),
            Row(f"{threads} thread(s): the same titles again (cache hits), texts/s", "",
                f"{cached_rate[0]:,.0f}", f"{title_rate[0]:,.0f}", ratio(cached_rate[0], title_rate[0])),
            Row(f"{threads} thread(s): load average after, {os.cpu_count()} CPUs", "", f"{load:.1f}"),
        ]  # fmt: skip
    torch.set_num_threads(cores)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nlp_quality", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer texts in the throughput part")
    args = parser.parse_args(argv)
    try:
        data = shared_data()
    except DataMissing as exc:
        log(f"skipped: {exc}")
        return 0
    print_table("Playlist name → genre (6 classes), split by name", title_genre(data))
    print_table("Lyrics valence against emoMusic's annotated valence", lyrics_valence(data))
    print_table("Embedding throughput (all-MiniLM-L6-v2, CPU)", throughput(data, quick=args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
