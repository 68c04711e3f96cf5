"""Derive the committed demo files from the Kaggle "Spotify Music Data" CSVs.

``demo/catalog.json.gz`` holds every unique track (features rounded to 3 decimals) and the
catalog playlists in order; ``demo/listeners.json`` holds five listeners with distinct
tastes and Spotify-shaped histories drawn from that catalog. A fixed seed and a fixed anchor
date make the output byte-identical on every run, so the files can be reviewed as diffs.
"""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.csv_rows import REQUIRED_COLUMNS, catalog_from_rows, spotify_like_id
from catalog.demo import catalog_to_plain
from catalog.demo_files import LISTENERS_FORMAT, catalog_file_write, listeners_file_write

ANCHOR = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # "now" for the demo histories
SEED = 20261122
RANGES = ("short_term", "medium_term", "long_term")
SOURCE_NOTE = "Kaggle 'Spotify Music Data' (high/low popularity playlists), derived for demo use"

Track = dict[str, Any]


@dataclass(frozen=True)
class Taste:
    """A demo listener: which playlist genres they love and which sound they lean to."""

    user_id: str
    display_name: str
    description: str
    genres: Mapping[str, float]  # "genre" or "genre/subgenre" (overrides) → affinity
    recent: Mapping[str, float]  # what they got into lately (short term, half in medium term)
    sound: Callable[[Callable[[str], float]], float]  # feature getter → fit, about 0..1
    hours: tuple[int, ...]  # UTC hours their listening sessions start
    playlists: tuple[tuple[str, str], ...]  # (name, description)
    calm_first: bool  # own playlists run from calm to intense, or the reverse


TASTES = (
    Taste(
        user_id="nora",
        display_name="Nora Lindqvist",
        description="melancholic indie, folk and soft acoustic pop",
        genres={
            "indie": 1.0,
            "folk": 1.0,
            "folk/indie": 1.2,
            "pop/soft": 0.5,
            "pop/bedroom": 0.7,
            "rock/indie": 0.7,
        },
        recent={"pop/bedroom": 0.8, "r&b": 0.4},
        sound=lambda f: 0.6 * (1 - f("valence")) + 0.4 * f("acousticness") + 0.3 * (1 - f("energy")),
        hours=(22, 23, 0, 1, 7),
        playlists=(
            ("3am thoughts", "for when sleep won't come"),
            ("rain on the window", "quiet, grey, fine"),
        ),
        calm_first=True,
    ),
    Taste(
        user_id="malik",
        display_name="Malik Johnson",
        description="hip-hop and rap, from 90s boom bap to trap and drill",
        genres={
            "hip-hop": 1.0,
            "hip-hop/90s": 1.2,
            "hip-hop/gangster": 1.0,
            "hip-hop/trap": 1.0,
            "hip-hop/drill": 0.8,
            "hip-hop/desi": 0.0,
            "hip-hop/french": 0.0,
            "r&b": 0.4,
        },
        recent={"afrobeats": 0.5, "latin/trap": 0.5},
        sound=lambda f: 0.5 * min(1.0, 3 * f("speechiness")) + 0.5 * f("danceability"),
        hours=(8, 13, 17, 18, 21),
        playlists=(
            ("gym rotation", "no skips"),
            ("late drive", "windows down"),
            ("golden era", "'90s heads only"),
        ),
        calm_first=False,
    ),
    Taste(
        user_id="zoe",
        display_name="Zoé Martin",
        description="EDM and club music: house, techno, hardstyle, party energy",
        genres={
            "electronic": 1.0,
            "electronic/deep house": 1.1,
            "electronic/techno": 1.0,
            "electronic/afro house": 1.0,
            "electronic/vaporwave": 0.2,
            "electronic/experimental": 0.3,
            "electronic/french": 0.1,
            "latin/reggaeton": 0.3,
        },
        recent={"latin/reggaeton": 0.7, "afrobeats/amapiano": 0.6},
        sound=lambda f: 0.5 * f("energy") + 0.5 * f("danceability"),
        hours=(19, 21, 22, 23, 0),
        playlists=(("pregame", "turn it up"), ("sunrise set", "after-hours, still dancing")),
        calm_first=False,
    ),
    Taste(
        user_id="rui",
        display_name="Rui Costa",
        description="rock and metal: classics, alternative, punk and heavier",
        genres={
            "rock": 1.0,
            "rock/classic": 1.1,
            "rock/alternative": 1.0,
            "rock/spanish": 0.0,
            "metal": 1.2,
            "punk": 0.8,
        },
        recent={"punk/pop punk": 0.7, "blues": 0.4},
        sound=lambda f: 0.7 * f("energy") + 0.3 * (1 - f("acousticness")),
        hours=(6, 7, 12, 17, 20),
        playlists=(("riffs", "loud on purpose"), ("road trip '95", "the long way round")),
        calm_first=False,
    ),
    Taste(
        user_id="hana",
        display_name="Hana Sato",
        description="calm jazz, classical and lofi for focus and slow evenings",
        genres={
            "jazz": 1.0,
            "classical": 1.0,
            "lofi/chill": 0.9,
            "lofi/hip-hop": 0.6,
            "ambient/chill": 0.5,
        },
        recent={"ambient/meditative": 0.5, "wellness": 0.4},
        sound=lambda f: 0.6 * (1 - f("energy")) + 0.2 * f("acousticness") + 0.2 * f("instrumentalness"),
        hours=(9, 10, 14, 15, 20),
        playlists=(("deep focus", "headphones on"), ("sunday morning", "coffee, no plans")),
        calm_first=True,
    ),
)


class Command(BaseCommand):
    help = "Derive demo/catalog.json.gz and demo/listeners.json from the Kaggle Spotify CSVs."

    def add_arguments(self, parser: CommandParser) -> None:
        default_source = Path(settings.BASE_DIR).parent / "shared" / "data" / "spotify_pop"
        parser.add_argument("--source", type=Path, default=default_source, help="folder with the CSVs")
        parser.add_argument("--out", type=Path, default=Path(settings.DEMO_DATA_DIR))
        parser.add_argument("--seed", type=int, default=SEED)

    def handle(self, *args: Any, source: Path, out: Path, seed: int, **options: Any) -> None:
        rows = _csv_rows(source)
        catalog, skipped = catalog_from_rows(rows)
        plain = catalog_to_plain(catalog, decimals=3)
        out.mkdir(parents=True, exist_ok=True)
        catalog_file_write(out / "catalog.json.gz", plain, source=SOURCE_NOTE)
        listeners = [
            listener_build(taste, plain, random.Random(f"{seed}:{taste.user_id}")) for taste in TASTES
        ]
        document = {
            "format": LISTENERS_FORMAT,
            "source": f"generated by build_demo_catalog (seed {seed}) from the demo catalog",
            "anchor": _iso(ANCHOR),
            "listeners": listeners,
        }
        listeners_file_write(out / "listeners.json", document)
        counts = ", ".join(
            f"{len(plain[kind])} {kind}" for kind in ("tracks", "artists", "albums", "playlists")
        )
        self.stdout.write(f"{counts} ({len(skipped)} rows skipped), {len(listeners)} listeners → {out}")


def _csv_rows(source: Path) -> list[dict[str, str]]:
    files = sorted(source.glob("*.csv"))
    if not files:
        raise CommandError(f"no CSV files in {source}")
    rows: list[dict[str, str]] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
            if missing:
                raise CommandError(f"{path} lacks columns: {', '.join(sorted(missing))}")
            rows.extend(reader)
    return rows


# --- Listener histories (pure: catalog + taste + rng → plain dict) ----------------------------------


def listener_build(
    taste: Taste, catalog: Mapping[str, Sequence[Track]], rng: random.Random
) -> dict[str, Any]:
    tracks = {t["id"]: t for t in catalog["tracks"]}
    memberships: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for playlist in catalog["playlists"]:
        for track_id in playlist["track_ids"]:
            memberships[track_id].add((playlist["genre"], playlist["subgenre"]))

    def affinity(track: Track, recent_weight: float) -> float:
        tags = memberships[track["id"]]
        genre = max((_tag_weight(taste.genres, *tag) for tag in tags), default=0.0)
        genre += recent_weight * max((_tag_weight(taste.recent, *tag) for tag in tags), default=0.0)
        if genre <= 0:
            return 0.0
        sound = taste.sound(lambda name: _feature(track, name))
        popularity = (track["popularity"] or 0) / 100
        return genre * (0.3 + sound) * (0.7 + 0.3 * popularity)

    years = {a["id"]: _year(a["release_date"]) for a in catalog["albums"]}
    # Short term leans to new releases and recent discoveries, long term to older favourites.
    eras: dict[str, tuple[float, Callable[[int], bool]]] = {
        "short_term": (1.0, lambda year: year >= 2023),
        "medium_term": (0.5, lambda year: False),
        "long_term": (0.0, lambda year: 0 < year < 2015),
    }
    # A lasting personal liking per track, so the three ranges share favourites but differ.
    liking = {track_id: math.exp(rng.gauss(0, 0.6)) for track_id in tracks}
    top_tracks = {}
    for time_range, (recent_weight, favoured) in eras.items():
        scored = []
        for track in tracks.values():
            score = affinity(track, recent_weight) * liking[track["id"]]
            if score > 0:
                if favoured(years.get(track["album_id"], 0)):
                    score *= 1.3
                scored.append((score * math.exp(rng.gauss(0, 0.3)), track["id"]))
        scored.sort(reverse=True)
        top_tracks[time_range] = [track_id for _, track_id in scored[:50]]

    plays = _plays(taste, top_tracks, tracks, rng)
    top_artists = {r: _top_artists(top_tracks[r], tracks, plays if r == "short_term" else []) for r in RANGES}
    follow_count = rng.randint(12, 26)
    followed = list(dict.fromkeys(top_artists["long_term"] + top_artists["medium_term"]))[:follow_count]
    return {
        "id": taste.user_id,
        "email": f"{taste.user_id}@demo.personalais.local",
        "display_name": taste.display_name,
        "taste": taste.description,
        "top_tracks": top_tracks,
        "top_artists": top_artists,
        "recently_played": plays,
        "followed_artists": followed,
        "playlists": _own_playlists(taste, top_tracks, tracks, rng),
    }


def _tag_weight(weights: Mapping[str, float], genre: str, subgenre: str) -> float:
    """A "genre/subgenre" weight overrides the genre's own."""
    return weights.get(f"{genre}/{subgenre}", weights.get(genre, 0.0))


def _feature(track: Track, name: str) -> float:
    value = track.get(name)
    return 0.5 if value is None else float(value)


def _year(release_date: str) -> int:
    return int(release_date[:4]) if release_date[:4].isdigit() else 0


def _top_artists(track_ids: Sequence[str], tracks: Mapping[str, Track], plays: Sequence[dict]) -> list[str]:
    weights: dict[str, float] = defaultdict(float)
    for rank, track_id in enumerate(track_ids):
        for position, artist_id in enumerate(tracks[track_id]["artist_ids"]):
            weights[artist_id] += (50 - rank) / (1 if position == 0 else 3)
    for play in plays:
        weights[tracks[play["track_id"]]["artist_ids"][0]] += 10
    return [artist_id for artist_id, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:20]]


def _plays(
    taste: Taste, top_tracks: Mapping[str, list[str]], tracks: Mapping[str, Track], rng: random.Random
) -> list[dict[str, str]]:
    """About 50 plays in listening sessions during the week before the anchor, newest first."""
    favourites = top_tracks["short_term"] * 3 + top_tracks["medium_term"]
    weights = [3.0 / (1 + i % 50 / 10) for i in range(len(favourites))]
    target = rng.randint(46, 54)
    sessions: list[tuple[datetime, datetime]] = []
    plays: list[dict[str, str]] = []
    while len(plays) < target:
        day = ANCHOR.replace(hour=0, minute=0) - timedelta(days=rng.randint(0, 6))
        start = day + timedelta(
            hours=rng.choice(taste.hours), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
        )
        length = rng.randint(4, 10)
        previous = ""
        cursor = start
        session: list[dict[str, str]] = []
        while len(session) < length:
            track_id = rng.choices(favourites, weights)[0]
            if track_id == previous:
                continue
            duration = tracks[track_id]["duration_ms"] or 180_000
            cursor += timedelta(milliseconds=duration + rng.randint(500, 4000))
            session.append({"track_id": track_id, "played_at": _iso(cursor)})
            previous = track_id
        if cursor > ANCHOR or any(start < end and cursor > begin for begin, end in sessions):
            continue  # in the future, or overlapping another session
        sessions.append((start, cursor))
        plays.extend(session)
    plays.sort(key=lambda p: p["played_at"], reverse=True)
    return plays[:target]


def _own_playlists(
    taste: Taste, top_tracks: Mapping[str, list[str]], tracks: Mapping[str, Track], rng: random.Random
) -> list[dict[str, Any]]:
    pool = list(dict.fromkeys(top_tracks["medium_term"] + top_tracks["long_term"] + top_tracks["short_term"]))
    playlists = []
    for name, description in taste.playlists:
        chosen = rng.sample(pool, rng.randint(15, 30))
        chosen.sort(key=lambda i: _feature(tracks[i], "energy"), reverse=not taste.calm_first)
        playlists.append(
            {
                "id": spotify_like_id(f"demo-playlist:{taste.user_id}:{name}"),
                "name": name,
                "description": description,
                "track_ids": chosen,
            }
        )
    return playlists


def _iso(moment: datetime) -> str:
    """Spotify's played_at form: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
