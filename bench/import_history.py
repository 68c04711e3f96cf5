"""Importing a Spotify data download: throughput on a big history, and what it does for recall.

Run: .venv/bin/python bench/import_history.py [--rows 1000000] [--skip-throughput] [--skip-recall]
(scratch database personalais_bench, as the other benches; loads and embeds the demo catalog
there when missing). Prints two tables, asserts nothing; its users are removed afterwards.

1. Throughput: a synthetic extended streaming history of ``--rows`` records is generated into a
   temporary directory as Spotify ships it (a ZIP of ``Streaming_History_Audio_*.json`` files of
   50,000 records; 95% demo-catalog tracks, the rest tracks the catalog lacks, every 50th record
   an episode), then stored and imported in this process exactly as the worker does. Reports
   rows/s over the whole import (hashing, parsing, matching, writing, recounting) and the
   process's peak resident memory, sampled every 20 ms.
2. Personalisation: a listener with no Spotify link, before and after importing the demo
   downloads (``demo/spotify_download/``): the share of recall candidates and of served picks
   (6 moods x 8 picks) whose only source is the popular pool, and how many come from the
   listener's own artists (those of the tracks their download names).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from bench.recommender import MOODS
from catalog.demo import demo_catalog_load
from catalog.demo_files import catalog_file_read
from catalog.models import Artist, TrackArtist
from recommender.models import Candidate
from recommender.recall import POPULAR, recall_candidates_for_user
from recommender.services import recommend_tracks
from spotify.data_import.samples import DEMO_GENRES, SampleTrack, demo_tracks, extended_history, zip_write
from spotify.data_import.services import data_import_run, data_import_start

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
PER_FILE = 50_000


class PeakMemory:
    """The process's resident memory, sampled in a thread while the block runs."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._running = False

    def __enter__(self) -> PeakMemory:
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)


def bench_tracks() -> list[SampleTrack]:
    catalog = catalog_file_read(DEMO_DIR / "catalog.json.gz")
    artists = {artist["id"]: artist["name"] for artist in catalog["artists"]}
    known = [
        SampleTrack(t["id"], t["name"], artists[t["artist_ids"][0]], "", t["duration_ms"] or 200_000)
        for t in catalog["tracks"]
        if t["artist_ids"]
    ]
    tracks: list[SampleTrack] = []
    for index, track in enumerate(known):  # every 20th a track we lack, spread over the popularity curve
        tracks.append(track)
        if index % 19 == 18:
            tracks.append(
                SampleTrack(f"{index:0>6}benchNotInCatalog"[:22], f"Missing {index}", "Nobody Known")
            )
    return tracks


def throughput(rows: int) -> list[tuple[str, str]]:
    user, _ = User.objects.get_or_create(email="bench-import-rows@example.com")
    user.plays.all().delete()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        records = extended_history(bench_tracks(), plays=rows, start=datetime(2012, 1, 1, tzinfo=UTC))
        members = {}
        for number in range((rows + PER_FILE - 1) // PER_FILE):
            chunk = (next(records) for _ in range(min(PER_FILE, rows - number * PER_FILE)))
            members[f"Spotify Extended Streaming History/Streaming_History_Audio_{number}.json"] = chunk
        path = zip_write(Path(directory) / "my_spotify_data.zip", members)
        generated = time.perf_counter() - started
        began = time.perf_counter()
        with open(path, "rb") as stream:
            data_import = data_import_start(user=user, files=[File(stream, name=path.name)])
        stored = time.perf_counter() - began
        with PeakMemory() as memory:
            began = time.perf_counter()
            done = data_import_run(import_id=data_import.pk)
            seconds = time.perf_counter() - began
        assert done is not None
        size = path.stat().st_size
    summary = done.summary
    table = [
        ("records", f"{done.rows:,} in {len(members)} files, ZIP {size / 1024**2:,.0f} MB"),
        ("generated in", f"{generated:.0f} s"),
        ("state", f"{done.state} {done.error}".strip()),
        ("plays written", f"{summary['plays_added']:,}"),
        ("not written", f"{summary['unmatched']:,} unknown tracks, {summary['not_music']:,} episodes"),
        ("matched", f"{100 * done.matched / max(1, done.track_rows):.1f}% of music records"),
        ("import time", f"{seconds:.1f} s (+ {stored:.1f} s storing the upload)"),
        ("rows/s", f"{done.rows / seconds:,.0f}"),
        ("peak RSS", f"{memory.peak / 1024**2:,.0f} MB (baseline {memory.baseline / 1024**2:,.0f} MB, "
                     f"+{(memory.peak - memory.baseline) / 1024**2:,.0f} MB)"),
    ]  # fmt: skip
    user.delete()
    return table


def personalisation() -> list[tuple[str, str]]:
    user, _ = User.objects.get_or_create(email="bench-import-recall@example.com")
    user.plays.all().delete()
    catalog = catalog_file_read(DEMO_DIR / "catalog.json.gz")
    names = {track.artist for track in demo_tracks(catalog)}
    own = set(Artist.objects.filter(name__in=names).values_list("pk", flat=True))
    before = _figures(user, own)
    for path in sorted((DEMO_DIR / "spotify_download").glob("*.zip")):
        data_import = data_import_start(user=user, files=[SimpleUploadedFile(path.name, path.read_bytes())])
        done = data_import_run(import_id=data_import.pk)
        assert done is not None and done.state == "done", done and done.error
    after = _figures(user, own)
    user.delete()
    return [(label, f"{before[label]:>24} → {after[label]}") for label in before]


def _figures(user: User, own: set[int]) -> dict[str, str]:
    report = recall_candidates_for_user(user=user)
    candidates = list(Candidate.objects.filter(user=user).values_list("track_id", "sources"))
    by_own = _by_own_artists({track_id for track_id, _ in candidates}, own)
    popular_only = sum(sources == [POPULAR] for _, sources in candidates)
    picks = []
    for label, valence, arousal, text in MOODS:
        picks += recommend_tracks(
            user=user, label=label, valence=valence, arousal=arousal, text=text,
            rng=np.random.default_rng(7), record=False,
        )  # fmt: skip
    picks_own = _by_own_artists({pick.track_id for pick in picks}, own)
    picks_popular = sum(list(pick.sources) == [POPULAR] for pick in picks)
    in_genres = sum(pick.genre in DEMO_GENRES for pick in picks)
    sources = ", ".join(f"{name} {count}" for name, count in report.per_source.items())
    return {
        "recall: cold start": str(report.cold_start),
        "recall: candidates": str(len(candidates)),
        "recall: with each source": sources,
        "recall: popular pool only": f"{popular_only} ({_percent(popular_only, len(candidates))})",
        "recall: by own artists": f"{len(by_own)} tracks by {len(_artists_of(by_own) & own)} of {len(own)}",
        "picks: popular only": f"{picks_popular} of {len(picks)} ({_percent(picks_popular, len(picks))})",
        "picks: by own artists": f"{len(picks_own)} of {len(picks)}",
        "picks: jazz, blues or soul": f"{in_genres} of {len(picks)}",
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / max(1, whole):.0f}%"


def _by_own_artists(track_ids: set[int], own: set[int]) -> set[int]:
    return set(
        TrackArtist.objects.filter(track_id__in=track_ids, artist_id__in=own).values_list(
            "track_id", flat=True
        )
    )


def _artists_of(track_ids: set[int]) -> set[int]:
    return set(TrackArtist.objects.filter(track_id__in=track_ids).values_list("artist_id", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        call_command("migrate", verbosity=0)
        demo_catalog_load()  # matching needs the catalog, not its embeddings (nor their model in memory)
        print(f"\nImporting an extended streaming history of {args.rows:,} records")
        for label, value in throughput(args.rows):
            print(f"  {label:<16} {value}")
    if not args.skip_recall:
        seconds, embedded = bench_catalog_prepare()
        print(f"\ndemo catalog ready in {seconds:.0f} s ({embedded} tracks embedded now)")
        print("\nA listener without Spotify, before → after importing demo/spotify_download/")
        for label, value in personalisation():
            print(f"  {label:<28} {value}")


if __name__ == "__main__":
    main()
