"""Bench listeners with a listening history, as a Spotify sync would have left it.

Each bench listener is one of the demo listeners (``demo/listeners.json``) with a seeded twist:
a fifth of their top tracks, top artists, plays and followed artists dropped, the favourites
reordered, and the dropped top tracks replaced by another demo listener's. So N listeners have N
different libraries in five families of taste, and a recommendation turn does real personalised
work. The rows are written by the demo loader itself (``spotify.demo_listeners``), from a
listeners file in the same format; playlists are left out (a playlist belongs to one owner).

Needs Django set up (``bench.scratch_database``) and the demo catalog loaded.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import override_settings

from accounts.models import User
from catalog.demo_files import listeners_file_read, listeners_file_write
from spotify.demo_listeners import demo_listeners_load

KEEP = 0.8  # share of each list a bench listener keeps; top tracks are refilled from another listener
# Bench passwords are never typed: the cheap hasher keeps creating hundreds of listeners fast.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bench_listener_twist(
    base: Mapping[str, Any], other: Mapping[str, Any], *, email: str, display_name: str, seed: int
) -> dict[str, Any]:
    """``base`` as another person: kept, reordered and borrowed rows; the demo file's format."""
    rng = random.Random(seed)

    def kept(items: Sequence[Any]) -> list[Any]:
        chosen = rng.sample(list(items), max(1, round(len(items) * KEEP))) if items else []
        head = chosen[:10]
        rng.shuffle(head)  # a different favourite, the long tail mostly as it was
        return head + chosen[10:]

    top_tracks = {}
    for time_range, ids in base["top_tracks"].items():
        mine = kept(ids)
        borrowed = [i for i in other["top_tracks"].get(time_range, []) if i not in mine]
        for track_id in rng.sample(borrowed, min(len(borrowed), len(ids) - len(mine))):
            mine.insert(rng.randrange(len(mine) + 1), track_id)
        top_tracks[time_range] = mine
    plays = kept(base["recently_played"])
    return {
        **base,
        "id": email.split("@")[0],
        "email": email,
        "display_name": display_name,
        "top_tracks": top_tracks,
        "top_artists": {time_range: kept(ids) for time_range, ids in base["top_artists"].items()},
        "recently_played": sorted(plays, key=lambda play: play["played_at"], reverse=True),
        "followed_artists": kept(base["followed_artists"]),
        "playlists": [],
    }


def bench_listeners_load(emails: Sequence[str], *, seed: int = 0) -> list[User]:
    """Create (or bring back in line) one user per email with a twisted demo library; in email order."""
    document = listeners_file_read(Path(settings.DEMO_DATA_DIR) / "listeners.json")
    demo = document["listeners"]
    listeners = [
        bench_listener_twist(
            demo[number % len(demo)],
            demo[(number + 1 + number // len(demo) % (len(demo) - 1)) % len(demo)],  # never itself
            email=email,
            display_name=f"Bench {number}",
            seed=seed * 100_003 + number,
        )
        for number, email in enumerate(emails)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "listeners.json"
        listeners_file_write(path, {**document, "listeners": listeners})
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            demo_listeners_load(path=path)
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [users[email] for email in emails]
