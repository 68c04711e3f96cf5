"""(e) Artist-level personalization on Last.fm (HetRec 2011): hide a fifth of a user's artists,
give a throwaway listener the rest, and ask which methods surface a hidden artist."""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.methods import (
    GENEROUS_POOL,
    MoodQuery,
    RecallFunction,
    generous_weights_install,
    ranked_by_ours,
    recall_order,
)
from recommender.evaluation.metrics import holdout_split, mean
from recommender.evaluation.regions import mood_for_tracks
from recommender.evaluation.sandbox import history_store, rolled_back, throwaway_user
from recommender.models import Candidate
from spotify.models import TimeRange, TopArtist


def artist_name_key(name: str) -> str:
    """A name for matching artists across data sets: accents, case, punctuation, "&"/"and" and a
    leading "the" do not matter ("Beyoncé" = "beyonce", "The Killers" = "Killers")."""
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^\w\s]", " ", text.replace("&", " and "))
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


@dataclass
class LastfmData:
    """Users' artist play counts with artists matched to our catalog by ``artist_name_key``."""

    users: dict[int, list[tuple[int, int]]]  # Last.fm user → [(catalog artist pk, weight)], heaviest first
    lastfm_artists: int
    matched_artists: int  # Last.fm artists that matched some catalog artist
    catalog_artists_matched: int
    lastfm_users: int


def lastfm_read(path: Path, *, catalog_artists: dict[int, str]) -> LastfmData:
    """Read ``artists.dat`` (id name url pictureURL) and ``user_artists.dat`` (userID artistID
    weight), both tab-separated with a header, and keep the user–artist rows whose artist
    matches a catalog artist (``catalog_artists``: pk → name). A name shared by two catalog
    artists maps to the lower pk."""
    by_key: dict[str, int] = {}
    for pk, name in sorted(catalog_artists.items()):
        by_key.setdefault(artist_name_key(name), pk)
    matched: dict[str, int] = {}
    lastfm_artists = 0
    with open(path / "artists.dat", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            lastfm_artists += 1
            catalog_pk = by_key.get(artist_name_key(parts[1]))
            if catalog_pk is not None:
                matched[parts[0]] = catalog_pk
    users: dict[int, dict[int, int]] = defaultdict(dict)
    everyone: set[str] = set()
    with open(path / "user_artists.dat", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            user_id, artist_id, weight = line.split("\t")
            everyone.add(user_id)
            artist_pk = matched.get(artist_id)
            if artist_pk is not None:
                counts = users[int(user_id)]
                counts[artist_pk] = counts.get(artist_pk, 0) + int(weight)
    return LastfmData(
        users={
            user: sorted(weights.items(), key=lambda item: (-item[1], item[0]))
            for user, weights in users.items()
        },
        lastfm_artists=lastfm_artists,
        matched_artists=len(matched),
        catalog_artists_matched=len(set(matched.values())),
        lastfm_users=len(everyone),
    )


@dataclass
class LastfmCase:
    lastfm_user: int
    visible: list[int]  # artist pks
    hidden: list[int]
    candidates_by_hidden: int  # hidden artists with a track among the recall candidates
    lists: dict[str, list[int]]


@dataclass
class LastfmRun:
    data: LastfmData
    eligible_users: int
    cases: list[LastfmCase]
    recall_used: bool
    seconds: float = 0.0


def lastfm_run(
    *,
    catalog: CatalogView,
    data: LastfmData,
    users: int = 60,
    seed: int = 0,
    fraction: float = 0.2,
    min_artists: int = 5,
    count: int = 50,
    generous: bool = True,
    recall: RecallFunction | None = None,
) -> LastfmRun:
    """Hide ``fraction`` of each sampled user's matched artists; the rest become their top artists
    (medium term, by Last.fm weight) and, so that track-based signals have something to go on,
    each visible artist's most popular catalog track (crediting no hidden artist) becomes a top
    track and a play. Then ask
    which methods' top ``count`` hold a track by a hidden artist.

    The mood is neutral at the visible top tracks' mean sound, as in playlist continuation.
    """
    started = time.perf_counter()
    eligible = sorted(user for user, artists in data.users.items() if len(artists) >= min_artists)
    sample = eligible
    if users and users < len(eligible):
        rng = np.random.default_rng([seed, 2])
        sample = sorted(int(user) for user in rng.choice(eligible, size=users, replace=False))
    by_artist: dict[int, list[int]] = defaultdict(list)  # most popular first
    for track_id in catalog.by_popularity:
        for artist_id in catalog.artists[track_id]:
            by_artist[artist_id].append(track_id)
    cases = []
    for lastfm_user in sample:
        artists = [pk for pk, _ in data.users[lastfm_user]]
        visible, hidden = holdout_split(
            artists, fraction=fraction, rng=np.random.default_rng([seed, 3, lastfm_user])
        )
        top_tracks = _best_tracks(visible, hidden, by_artist, catalog)
        lists: dict[str, list[int]] = {}
        with rolled_back():
            user = throwaway_user(f"lastfm-{lastfm_user}")
            TopArtist.objects.bulk_create(
                TopArtist(user=user, artist_id=pk, time_range=TimeRange.MEDIUM, rank=rank)
                for rank, pk in enumerate(visible, start=1)
            )
            history_store(user, top_tracks)
            candidates_by_hidden = 0
            if recall is not None:
                recall(user=user)
                lists["recall order (weight)"] = recall_order(user, count=count)
                candidate_ids = list(Candidate.objects.filter(user=user).values_list("track_id", flat=True))
                covered = {a for t in candidate_ids for a in catalog.artists.get(t, ())}
                candidates_by_hidden = len(covered & set(hidden))
            valence, arousal = mood_for_tracks(*catalog.affect_of(top_tracks))
            mood = MoodQuery("neutral", valence, arousal)
            rng_seed = [seed, 4, lastfm_user]
            lists["ours"] = ranked_by_ours(user, mood, count=count, rng=np.random.default_rng(rng_seed))
            if generous:
                generous_weights_install()
                lists[f"ours, pool {GENEROUS_POOL:,}"] = ranked_by_ours(
                    user, mood, count=count, rng=np.random.default_rng(rng_seed)
                )
        known = set(top_tracks)
        lists["popularity"] = catalog.popular(exclude=known, count=count)
        lists["random"] = catalog.random(
            exclude=known, count=count, rng=np.random.default_rng([seed, 5, lastfm_user])
        )
        cases.append(LastfmCase(lastfm_user, visible, hidden, candidates_by_hidden, lists))
    return LastfmRun(data, len(eligible), cases, recall is not None, time.perf_counter() - started)


def _best_tracks(
    visible: Sequence[int], hidden: Sequence[int], by_artist: dict[int, list[int]], catalog: CatalogView
) -> list[int]:
    """Each visible artist's most popular catalog track that credits no hidden artist (so the
    history never holds a hidden artist's track), in artist order, without repeats."""
    hidden_set = set(hidden)
    chosen: list[int] = []
    for artist_id in visible:
        for track_id in by_artist.get(artist_id, []):
            if not hidden_set & set(catalog.artists[track_id]):
                if track_id not in chosen:
                    chosen.append(track_id)
                break
    return chosen


def lastfm_table(run: LastfmRun, catalog: CatalogView, k: int = 50) -> list[tuple[str, float, float]]:
    """Per method: (name, share of hidden artists with a track in the top ``k``, share of users
    with at least one such hit)."""
    methods = list(dict.fromkeys(name for case in run.cases for name in case.lists))
    rows = []
    for method in methods:
        artist_recall, user_hits = [], []
        for case in run.cases:
            surfaced = {a for t in case.lists.get(method, [])[:k] for a in catalog.artists.get(t, ())}
            artist_recall.append(
                len(surfaced & set(case.hidden)) / len(case.hidden) if case.hidden else math.nan
            )
            user_hits.append(1.0 if surfaced & set(case.hidden) else 0.0)
        rows.append((method, mean(artist_recall), mean(user_hits)))
    return rows
