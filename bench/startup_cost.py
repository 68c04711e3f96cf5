"""What a restart and the worker's refreshes cost as the catalog grows: `python bench/startup_cost.py`.

Times, on a scratch database (``personalais_startup`` unless EMBEDDED_DATABASE_NAME or
DATABASE_URL says otherwise; the demo catalog is loaded and embedded there first, minutes
the first time):

- a warm ``seed_demo`` (everything loaded, nothing changed), and its profile part alone;
- the same after one track's name changed (exactly one profile is refreshed);
- ``track_affect_refresh`` and ``track_mood_refresh`` over every track, once with nothing to
  write and once after the stored values were cleared (every row written back by COPY).

``--tracks N`` first grows the catalog to N tracks by copying demo tracks with their artists
and profiles (vectors included, so nothing is embedded); the copies stay for later runs.
Prints the command line first, then one line per figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("EMBEDDED_DATABASE_NAME", "personalais_startup")  # before Django is set up
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_database import bench_catalog_prepare  # sets Django up, so it comes first

# isort: split
from django.core.management import call_command
from django.db import connection

from catalog.models import Track
from recommender.affect import track_affect_refresh
from recommender.models import TrackProfile
from recommender.profiles import _catalog_inputs, track_profiles_refresh
from recommender.track_moods import track_mood_refresh

COPY_MARK = ":copy"


def timed(label: str, action: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    result = action()
    print(f"  {label:<66} {time.perf_counter() - began:7.2f} s   {result}")
    return result


def _columns(table: str, leave_out: set[str]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            [table],
        )
        return [name for (name,) in cursor.fetchall() if name not in leave_out]


def catalog_grow(tracks: int) -> int:
    """Copy original tracks (with artists and profiles) until the catalog holds ``tracks``."""
    originals = Track.objects.exclude(spotify_id__contains=COPY_MARK).count()
    copies = max(0, -(-tracks // originals) - 1)
    track_cols = _columns("catalog_track", {"id", "spotify_id"})
    profile_cols = _columns("recommender_trackprofile", {"id", "track_id"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO catalog_track (spotify_id, {', '.join(track_cols)}) "
            f"SELECT t.spotify_id || '{COPY_MARK}' || g, {', '.join(f't.{c}' for c in track_cols)} "
            f"FROM catalog_track t CROSS JOIN generate_series(1, %s) g "
            f"WHERE t.spotify_id NOT LIKE '%%{COPY_MARK}%%' ON CONFLICT (spotify_id) DO NOTHING",
            [copies],
        )
        copy_of = (
            f"FROM catalog_track c JOIN catalog_track o ON o.spotify_id = split_part(c.spotify_id, "
            f"'{COPY_MARK}', 1) WHERE c.spotify_id LIKE '%%{COPY_MARK}%%'"
        )
        artists = copy_of.replace("WHERE", "JOIN catalog_trackartist ta ON ta.track_id = o.id WHERE")
        cursor.execute(
            f"INSERT INTO catalog_trackartist (track_id, artist_id, position) "
            f"SELECT c.id, ta.artist_id, ta.position {artists} ON CONFLICT DO NOTHING"
        )
        profiles = copy_of.replace("WHERE", "JOIN recommender_trackprofile p ON p.track_id = o.id WHERE")
        cursor.execute(
            f"INSERT INTO recommender_trackprofile (track_id, {', '.join(profile_cols)}) "
            f"SELECT c.id, {', '.join(f'p.{c}' for c in profile_cols)} {profiles} "
            f"ON CONFLICT (track_id) DO NOTHING"
        )
        cursor.execute("ANALYZE")
    return Track.objects.count()


def warm_seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return " | ".join(line for line in out.getvalue().splitlines() if "Demo listeners" not in line)


def one_track_renamed() -> str:
    """Rename the newest track (back and forth across runs), then refresh the whole catalog."""
    track = Track.objects.order_by("-id").first()
    assert track is not None
    renamed = (
        track.name.removesuffix(" (bench)") if track.name.endswith(" (bench)") else f"{track.name} (bench)"
    )
    Track.objects.filter(pk=track.pk).update(name=renamed)
    stale = len(_catalog_inputs(track_ids=None))
    return f"{stale} stale, {track_profiles_refresh()} embedded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=0, help="grow the catalog to this many tracks first")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    seconds, embedded = bench_catalog_prepare()
    name = connection.settings_dict["NAME"]
    print(f"scratch database {name} ready in {seconds:.1f} s ({embedded} embedded now)")
    if args.tracks:
        timed(f"grow the catalog to {args.tracks:,} tracks (copies)", lambda: catalog_grow(args.tracks))
    print(f"catalog: {Track.objects.count():,} tracks, {TrackProfile.objects.count():,} profiles")
    timed("first full profile pass (records inputs hashes)", track_profiles_refresh)
    timed("warm seed_demo", warm_seed_demo)
    timed("warm track_profiles_refresh (profiles embedded)", track_profiles_refresh)
    timed("one track renamed, then a full refresh", one_track_renamed)
    timed("track_affect_refresh, all tracks, nothing to write", track_affect_refresh)
    TrackProfile.objects.update(affect_source="")
    timed("track_affect_refresh, all tracks, every row rewritten", track_affect_refresh)
    timed("track_mood_refresh (hourly), nothing to write (own moods redone)", track_mood_refresh)
    TrackProfile.objects.update(mood_label="")
    timed("track_mood_refresh (hourly), every blend rewritten (own redone)", track_mood_refresh)


if __name__ == "__main__":
    main()
