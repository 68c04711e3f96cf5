"""Recall: for each listener, a few hundred to a few thousand tracks worth ranking, fetched ahead of time.

A chat turn only ranks (``services.py``); finding what is worth ranking is slow (Spotify calls,
playlist scans), so Celery does it here after every library sync and every 12 hours. Three
sources, each a plain function returning scored track ids, shared out later by the listener's
source ratios:

- ``artists``: tracks by the artists the listener cares about (``artist_affinity``), from our
  catalog and, with a working Spotify link, from those artists' newest releases;
- ``cooccurrence``: tracks that share playlists with the listener's own tracks;
- ``popular``: our own popularity prior, because Spotify stopped serving ``popularity``.

Spotify (2026) has no recommendations, related artists or artist top tracks, so only the
``artists`` source calls it, within a fixed call budget per listener.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, FloatField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Ln
from django.utils import timezone

from accounts.models import User
from catalog.models import Artist, PlaylistItem, Track, TrackArtist
from recommender.models import Candidate, Feedback, Source, TastePreference
from spotify.client import SpotifyClient
from spotify.data_import.selectors import has_imported_library, imported_known_track_ids, imported_taste
from spotify.errors import SpotifyError, SpotifyNotFound
from spotify.models import FollowedArtist, Play, SpotifyLink, TimeRange, TopArtist, TopTrack
from spotify.services import SPOTIFY_ID, spotify_client_for, tracks_upsert

logger = logging.getLogger(__name__)

# --- artist affinity: how much each kind of evidence says about an artist ------------------------
PLAY_HALF_LIFE_DAYS = 14.0  # a play two weeks old counts half as much as one today
PLAYS_CONSIDERED = 500  # the newest plays; older ones have decayed to almost nothing
RANGE_WEIGHT = {TimeRange.SHORT: 1.0, TimeRange.MEDIUM: 0.6, TimeRange.LONG: 0.35}
TOP_TRACK_WEIGHT = 1.0  # per top track, times its range and rank
TOP_ARTIST_WEIGHT = 3.0  # a ranked artist stands for many tracks
FOLLOW_WEIGHT = 2.0  # following is deliberate, but says nothing about how recent
# From an imported download: its most streamed tracks and artists count as all-time top items.
SAVED_TRACK_WEIGHT = 0.35  # a liked song (or one in their playlists) counts as a long-term top track's tail
SAVED_ALBUM_WEIGHT = 1.0  # per saved album of the artist, up to three
FEATURED_ARTIST = 0.5  # a featured artist (position > 0) earns half a lead artist's credit
LIKED_ARTIST_BOOST = 0.5  # added after normalising, so an asked-for artist nears the top

# --- popular pool: our own prior, documented in ``popular_pool`` ---------------------------------
POPULARITY_WEIGHT = 0.6
PLAYLISTS_WEIGHT = 0.25
LISTENERS_WEIGHT = 0.15
RECENT_LISTENING = timedelta(days=30)

# --- artist tracks ------------------------------------------------------------------------------
MAX_SPOTIFY_ARTISTS = 15  # closest artists whose newest releases are fetched from Spotify
PER_ARTIST = 20  # tracks kept per artist
CATALOG_ARTISTS = 200  # artists looked up in our catalog (cheap: one query)
ALBUMS_PER_ARTIST = 3  # newest releases fetched from Spotify per artist
SPOTIFY_CALL_BUDGET = 60  # Spotify requests per listener per recall (15 artists x (1 + 3))

# --- combining ---------------------------------------------------------------------------------
POPULAR_TIE = 0.5  # popularity says little about this listener: it counts half in the weight
COLD_START_LIMIT = 600
# Plain strings (what Candidate.sources holds), in the order reasons are preferred: personal first.
ARTISTS, COOCCURRENCE, POPULAR = str(Source.ARTISTS), str(Source.COOCCURRENCE), str(Source.POPULAR)
SOURCE_ORDER = (ARTISTS, COOCCURRENCE, POPULAR)
COOCCURRENCE_REASON = "often in playlists with tracks you play"

Scored = list[tuple[int, float]]


@dataclass
class RecallReport:
    """What one recall did, for logs, the benchmark note and the task's result."""

    user_id: int
    candidates: int = 0
    per_source: dict[str, int] = field(default_factory=dict)  # candidates with (also) that source
    removed: int = 0  # candidates of the previous recall that fell out
    spotify_calls: int = 0
    spotify_error: str = ""
    cold_start: bool = False
    seconds: float = 0.0


# --- artist affinity -----------------------------------------------------------------------------


def artist_affinity(*, user: User) -> dict[int, float]:
    """Artist pk → how much the listener cares, in [0, 1] (1 = the artist they care about most).

    Evidence adds up: each recent play (halving every ``PLAY_HALF_LIFE_DAYS``), each top track
    (short term counts most, higher ranks more), each top-artist entry (rank-weighted) and a
    follow. Artists the listener rejected are left out whatever the evidence; artists they asked
    for are boosted, and included even without any history.
    """
    raw: dict[int, float] = defaultdict(float)
    for artist_id, contribution in _affinity_evidence(user):
        raw[artist_id] += contribution
    top = max(raw.values(), default=0.0)
    affinity = {artist_id: value / top for artist_id, value in raw.items() if value > 0}
    liked, rejected = _artist_preferences(user)
    for artist_id in liked:
        affinity[artist_id] = min(1.0, affinity.get(artist_id, 0.0) + LIKED_ARTIST_BOOST)
    for artist_id in rejected | imported_taste(user=user).banned_artist_ids:
        affinity.pop(artist_id, None)
    return affinity


def _affinity_evidence(user: User) -> Iterable[tuple[int, float]]:
    """(artist, contribution) from synced and imported evidence alike; skipped plays say nothing."""
    now = timezone.now()
    imported = imported_taste(user=user)
    plays = list(
        Play.objects.filter(user=user)
        .exclude(skipped=True)
        .order_by("-played_at")
        .values_list("track_id", "played_at")[:PLAYS_CONSIDERED]
    )
    play_weight: dict[int, float] = defaultdict(float)
    for track_id, played_at in plays:
        age_days = max(0.0, (now - played_at).total_seconds() / 86400)
        play_weight[track_id] += 0.5 ** (age_days / PLAY_HALF_LIFE_DAYS)
    top_tracks = list(TopTrack.objects.filter(user=user).values_list("track_id", "time_range", "rank"))
    track_weight: dict[int, float] = defaultdict(float, play_weight)
    for rows in (top_tracks, _all_time(imported.top_track_ids)):
        for (track_id, time_range, _), share in zip(rows, _rank_shares(rows), strict=True):
            track_weight[track_id] += TOP_TRACK_WEIGHT * RANGE_WEIGHT[TimeRange(time_range)] * share
    for track_id in imported.saved_track_ids:
        track_weight[track_id] += SAVED_TRACK_WEIGHT
    for track_id, artist_id, position in TrackArtist.objects.filter(track_id__in=track_weight).values_list(
        "track_id", "artist_id", "position"
    ):
        yield artist_id, track_weight[track_id] * (1.0 if position == 0 else FEATURED_ARTIST)
    top_artists = list(TopArtist.objects.filter(user=user).values_list("artist_id", "time_range", "rank"))
    for rows in (top_artists, _all_time(imported.top_artist_ids)):
        for (artist_id, time_range, _), share in zip(rows, _rank_shares(rows), strict=True):
            yield artist_id, TOP_ARTIST_WEIGHT * RANGE_WEIGHT[TimeRange(time_range)] * share
    followed = set(FollowedArtist.objects.filter(user=user).values_list("artist_id", flat=True))
    for artist_id in followed | imported.followed_artist_ids:
        yield artist_id, FOLLOW_WEIGHT
    for artist_id, albums in imported.saved_album_artists.items():
        yield artist_id, SAVED_ALBUM_WEIGHT * min(albums, 3)


def _all_time(ranked_ids: Sequence[int]) -> list[tuple[int, str, int]]:
    """An import's most streamed items as (item, range, rank) rows: all-time top items."""
    return [(item_id, TimeRange.LONG.value, rank) for rank, item_id in enumerate(ranked_ids, start=1)]


def _rank_shares(rows: Sequence[tuple[int, str, int]]) -> list[float]:
    """Per (item, range, rank) row: 1 for #1 of its range down to 1/n for the last of n."""
    sizes: dict[str, int] = defaultdict(int)
    for _, time_range, _ in rows:
        sizes[time_range] += 1
    return [max(1, sizes[time_range] - rank + 1) / sizes[time_range] for _, time_range, rank in rows]


def _artist_preferences(user: User) -> tuple[set[int], set[int]]:
    """(liked, rejected) artist pks; preferences hold Spotify ids, unknown ones are ignored."""
    rows = TastePreference.objects.filter(user=user, kind=TastePreference.Kind.ARTIST).values_list(
        "value", "liked"
    )
    wanted = {value: liked for value, liked in rows}
    pks = dict(Artist.objects.filter(spotify_id__in=wanted).values_list("spotify_id", "pk"))
    liked = {pk for spotify_id, pk in pks.items() if wanted[spotify_id]}
    return liked, set(pks.values()) - liked


# --- popular pool --------------------------------------------------------------------------------


def popular_pool(*, limit: int = 500) -> Scored:
    """The ``limit`` most popular tracks by our own prior, best first, scores in [0, 1].

    Spotify no longer serves popularity, so we blend what we hold::

        score = 0.60 * popularity / 100                              (imported catalog; 0 if unknown)
              + 0.25 * ln(1 + catalog playlists holding it) / ln(1 + most playlists of any track)
              + 0.15 * ln(1 + listeners here who played it) / ln(1 + listeners here who played anything)

    (listeners counted over the last 30 days). The logarithms keep one track in every playlist,
    or played by everyone, from drowning the rest; the last term is a share of this instance's
    active listeners, so on a small instance one listener's plays do not make a hit. A term
    whose denominator is 0 (no playlists, nobody played anything lately) drops out. Not per
    listener: the caller removes what a listener already knows.
    """
    since = timezone.now() - RECENT_LISTENING
    catalog_items = PlaylistItem.objects.filter(playlist__owner__isnull=True)
    recent_plays = Play.objects.filter(played_at__gte=since)
    most_playlists = _most(catalog_items, "playlist")
    active_listeners = recent_plays.values("user").distinct().count()
    score = Value(POPULARITY_WEIGHT / 100) * Coalesce(F("popularity"), 0, output_field=FloatField())
    tracks = Track.objects.all()
    if most_playlists:
        tracks = tracks.annotate(in_playlists=_count_per_track(catalog_items, "playlist"))
        score += Value(PLAYLISTS_WEIGHT / math.log1p(most_playlists)) * Ln(F("in_playlists") + 1.0)
    if active_listeners:
        tracks = tracks.annotate(recent_listeners=_count_per_track(recent_plays, "user"))
        score += Value(LISTENERS_WEIGHT / math.log1p(active_listeners)) * Ln(F("recent_listeners") + 1.0)
    rows = tracks.annotate(score=score).order_by("-score", "pk").values_list("pk", "score")[:limit]
    return [(pk, float(value)) for pk, value in rows]


def _most(rows: QuerySet[Any], counted: str) -> int:
    """The largest number of distinct ``counted`` any one track has among ``rows``."""
    grouped = rows.values("track").annotate(n=Count(counted, distinct=True))
    return int(grouped.aggregate(most=Max("n"))["most"] or 0)


def _count_per_track(rows: QuerySet[Any], counted: str) -> Coalesce:
    per_track = (
        rows.filter(track=OuterRef("pk"))
        .order_by()
        .values("track")
        .annotate(n=Count(counted, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(per_track), 0.0, output_field=FloatField())


# --- co-occurrence -------------------------------------------------------------------------------


def cooccurring_tracks(*, user: User, limit: int = 300) -> Scored:
    """Tracks sharing playlists with the listener's known tracks (top and recent), best first, in [0, 1].

    Each playlist that holds some of the listener's tracks lends every other track in it
    ``(listener's tracks in it) / (tracks in it)``: a short playlist full of their music says
    more than a 200-track one with a single match, so huge playlists do not dominate. Only
    catalog playlists and the listener's own are read, never another listener's.
    """
    known = known_track_ids(user=user)
    if not known:
        return []
    playlist_ids = set(
        PlaylistItem.objects.filter(track_id__in=known)
        .filter(Q(playlist__owner__isnull=True) | Q(playlist__owner=user))
        .values_list("playlist_id", flat=True)
    )
    members: dict[int, set[int]] = defaultdict(set)
    for playlist_id, track_id in PlaylistItem.objects.filter(playlist_id__in=playlist_ids).values_list(
        "playlist_id", "track_id"
    ):
        members[playlist_id].add(track_id)
    scores: dict[int, float] = defaultdict(float)
    for tracks in members.values():
        share = len(tracks & known) / len(tracks)
        for track_id in tracks - known:
            scores[track_id] += share
    return _best_normalised(scores, limit)


def _best_normalised(scores: Mapping[int, float], limit: int) -> Scored:
    top = max(scores.values(), default=0.0)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [(track_id, value / top) for track_id, value in ranked] if top > 0 else []


def known_track_ids(*, user: User) -> set[int]:
    """Tracks the listener already knows: their top tracks, plays and imported library (never
    recalled for them)."""
    known = set(TopTrack.objects.filter(user=user).values_list("track_id", flat=True))
    known |= imported_known_track_ids(user=user)
    return known | set(Play.objects.filter(user=user).values_list("track_id", flat=True))


# --- artist tracks -------------------------------------------------------------------------------


def artist_tracks(
    *,
    user: User,
    affinity: Mapping[int, float],
    client: SpotifyClient | None = None,
    max_artists: int = MAX_SPOTIFY_ARTISTS,
    per_artist: int = PER_ARTIST,
    albums_per_artist: int = ALBUMS_PER_ARTIST,
    call_budget: int = SPOTIFY_CALL_BUDGET,
) -> list[tuple[int, float, str]]:
    """(track pk, score, reason) for tracks by the listener's artists that they do not know yet.

    The catalog is searched for all their artists; with a ``client`` (or, without one, an ACTIVE
    Spotify link) the ``max_artists`` closest artists' newest ``albums_per_artist`` releases are
    fetched too and stored with ``tracks_upsert``, stopping once ``call_budget`` requests are
    spent (one per artist for the album list, one per album). A track scores its artist's
    affinity, less for a featured artist; each artist keeps its ``per_artist`` best tracks.

    Raises SpotifyRateLimited and other temporary Spotify errors for the task to retry; a
    permanent one (no link, consent gone, not allow-listed) leaves the result catalog-only.
    """
    owned = client is None
    if owned:
        client, _ = _client_if_linked(user)
    try:
        found, _ = _artist_tracks(
            user,
            affinity,
            client,
            max_artists=max_artists,
            per_artist=per_artist,
            albums_per_artist=albums_per_artist,
            call_budget=call_budget,
        )
    finally:
        if owned and client is not None:
            client.close()
    return found


def _artist_tracks(
    user: User,
    affinity: Mapping[int, float],
    client: SpotifyClient | None,
    *,
    max_artists: int,
    per_artist: int,
    albums_per_artist: int = ALBUMS_PER_ARTIST,
    call_budget: int = SPOTIFY_CALL_BUDGET,
) -> tuple[list[tuple[int, float, str]], str]:
    """``artist_tracks`` plus the permanent Spotify error that cut the fetch short ("" if none)."""
    if not affinity:
        return [], ""
    ranked = sorted(affinity, key=lambda artist_id: (-affinity[artist_id], artist_id))
    pairs = set(
        TrackArtist.objects.filter(artist_id__in=ranked[:CATALOG_ARTISTS]).values_list(
            "artist_id", "track_id"
        )
    )
    error = ""
    if client is not None:
        fetched, error = _spotify_artist_pairs(
            client, ranked[:max_artists], albums_per_artist=albums_per_artist, call_budget=call_budget
        )
        pairs |= fetched
    return _artist_track_scores(user, affinity, pairs, per_artist), error


def _client_if_linked(user: User) -> tuple[SpotifyClient | None, str]:
    """A client when the listener has an ACTIVE link, else None and why (temporary errors raise)."""
    if not SpotifyLink.objects.filter(user=user, status=SpotifyLink.Status.ACTIVE).exists():
        return None, ""
    try:
        return spotify_client_for(user=user), ""
    except SpotifyError as exc:
        if not exc.permanent:
            raise
        logger.info("recall for user %s goes without Spotify: %s", user.pk, exc)
        return None, str(exc)


def _spotify_artist_pairs(
    client: SpotifyClient, artist_ids: Sequence[int], *, albums_per_artist: int, call_budget: int
) -> tuple[set[tuple[int, int]], str]:
    """(artist pk, track pk) for tracks on the artists' newest releases, within ``call_budget`` calls.

    An artist or album Spotify does not know (an id only our imported catalog has) is skipped;
    any other permanent error ends the fetch, keeping what was found, and is returned.
    """
    spotify_ids = dict(Artist.objects.filter(pk__in=artist_ids).values_list("pk", "spotify_id"))
    started = client.calls
    pairs: set[tuple[int, int]] = set()
    try:
        for artist_id in artist_ids:
            spotify_id = spotify_ids.get(artist_id, "")
            if client.calls - started >= call_budget:
                break
            if not SPOTIFY_ID.fullmatch(spotify_id):
                continue
            try:
                albums = client.artist_albums(spotify_id, limit=10, max_items=albums_per_artist)
            except SpotifyNotFound:
                continue
            for album in albums[:albums_per_artist]:
                if client.calls - started >= call_budget:
                    break
                try:
                    tracks = client.album_tracks(album.id)
                except SpotifyNotFound:
                    continue
                pks = tracks_upsert(tracks)
                pairs |= {(artist_id, pks[track.id]) for track in tracks if track.id in pks}
    except SpotifyError as exc:
        if not exc.permanent:
            raise
        logger.info("recall stopped asking Spotify after %s calls: %s", client.calls - started, exc)
        return pairs, str(exc)
    return pairs, ""


def _artist_track_scores(
    user: User, affinity: Mapping[int, float], pairs: set[tuple[int, int]], per_artist: int
) -> list[tuple[int, float, str]]:
    known = known_track_ids(user=user)
    track_ids = {track_id for _, track_id in pairs} - known
    roles = {
        (artist_id, track_id): position
        for track_id, artist_id, position in TrackArtist.objects.filter(track_id__in=track_ids).values_list(
            "track_id", "artist_id", "position"
        )
    }
    popularity = dict(Track.objects.filter(pk__in=track_ids).values_list("pk", "popularity"))
    by_artist: dict[int, list[int]] = defaultdict(list)
    for artist_id, track_id in pairs:
        if track_id in track_ids:
            by_artist[artist_id].append(track_id)
    ties = _artist_ties(user, by_artist)
    best: dict[int, tuple[float, str]] = {}
    for artist_id, tracks in by_artist.items():
        # An artist missing from a track's credits (their album, someone else's song) is not its lead.
        tracks.sort(key=lambda track_id: (roles.get((artist_id, track_id), 1), -(popularity[track_id] or 0)))
        for track_id in tracks[:per_artist]:
            lead = roles.get((artist_id, track_id), 1) == 0
            score = affinity[artist_id] * (1.0 if lead else FEATURED_ARTIST)
            if score > best.get(track_id, (-1.0, ""))[0]:
                best[track_id] = (score, ties[artist_id])
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [(track_id, score, reason) for track_id, (score, reason) in ranked]


def _artist_ties(user: User, artist_ids: Iterable[int]) -> dict[int, str]:
    """Artist pk → "by <name>, <why this artist>", the strongest tie the listener has to them."""
    ids = set(artist_ids)
    names = dict(Artist.objects.filter(pk__in=ids).values_list("pk", "name"))
    followed = set(
        FollowedArtist.objects.filter(user=user, artist_id__in=ids).values_list("artist_id", flat=True)
    )
    liked, _ = _artist_preferences(user)
    imported = imported_taste(user=user)
    followed |= imported.followed_artist_ids & ids
    top = set(TopArtist.objects.filter(user=user, artist_id__in=ids).values_list("artist_id", flat=True))
    top |= set(imported.top_artist_ids) & ids
    played = set(
        TrackArtist.objects.filter(
            artist_id__in=ids, track_id__in=Play.objects.filter(user=user).values("track_id")
        ).values_list("artist_id", flat=True)
    )

    def why(artist_id: int) -> str:
        if artist_id in followed:
            return "whom you follow"
        if artist_id in liked:
            return "whom you asked for"
        if artist_id in top:
            return "one of your top artists"
        if artist_id in played:
            return "whom you played lately"
        return "whom you listen to"

    return {artist_id: f"by {names.get(artist_id, 'an artist')}, {why(artist_id)}"[:200] for artist_id in ids}


# --- the whole recall ----------------------------------------------------------------------------


def has_listening_history(*, user: User) -> bool:
    """Whether recall has anything personal to go on; without it, a listener is a cold start."""
    return (
        TopTrack.objects.filter(user=user).exists()
        or Play.objects.filter(user=user).exists()
        or TopArtist.objects.filter(user=user).exists()
        or FollowedArtist.objects.filter(user=user).exists()
        or has_imported_library(user=user)
    )


def recall_candidates_for_user(
    *, user: User, client: SpotifyClient | None = None, max_candidates: int = 1500
) -> RecallReport:
    """Replace the listener's Candidate rows with a fresh recall; idempotent and bounded.

    The three sources are interleaved rank by rank until ``max_candidates`` distinct tracks,
    so no source crowds out another. A track's weight is the noisy-or of its sources'
    strengths (popularity counts half: it says little about this listener), so agreeing
    sources raise it. Known tracks, rejected tracks, artists and genres never become
    candidates. A listener without history (cold start) gets the popular pool spread across
    genres, and the report says so.

    Rows are upserted in one transaction and rows that fell out are deleted, so a ranker
    reading meanwhile sees the old list or the new one. Spotify errors are raised as in
    ``artist_tracks``; nothing is written then.
    """
    started = time.perf_counter()
    report = RecallReport(user_id=user.pk)
    found: dict[str, list[tuple[int, float, str]]] = {}
    if has_listening_history(user=user) or _artist_preferences(user)[0]:
        affinity = artist_affinity(user=user)
        owned = client is None
        if owned:
            client, report.spotify_error = _client_if_linked(user)
        calls_before = client.calls if client is not None else 0
        try:
            found[ARTISTS], error = _artist_tracks(
                user, affinity, client, max_artists=MAX_SPOTIFY_ARTISTS, per_artist=PER_ARTIST
            )
        finally:
            if client is not None:
                report.spotify_calls = client.calls - calls_before
                if owned:
                    client.close()
        report.spotify_error = report.spotify_error or error
        found[COOCCURRENCE] = [
            (track_id, score, COOCCURRENCE_REASON) for track_id, score in cooccurring_tracks(user=user)
        ]
        found[POPULAR] = _popular_with_reasons(popular_pool(), tie=POPULAR_TIE)
    else:
        report.cold_start = True
        pool = popular_pool(limit=3 * COLD_START_LIMIT)
        found[POPULAR] = _popular_with_reasons(
            _genre_interleave(pool)[:COLD_START_LIMIT], tie=POPULAR_TIE, cold=True
        )
    blocked = _blocked_track_ids(user, {track_id for scored in found.values() for track_id, _, _ in scored})
    for source, scored in found.items():
        found[source] = [row for row in scored if row[0] not in blocked]
    rows = _combined(found, max_candidates)
    report.removed = _candidates_store(user, rows)
    report.candidates = len(rows)
    report.per_source = {
        source: sum(source in row.sources for row in rows) for source in SOURCE_ORDER if source in found
    }
    report.seconds = time.perf_counter() - started
    return report


def _popular_with_reasons(pool: Scored, *, tie: float, cold: bool = False) -> list[tuple[int, float, str]]:
    genres = dict(Track.objects.filter(pk__in=[pk for pk, _ in pool]).values_list("pk", "genre"))
    suffix = ", while we learn your taste" if cold else ""
    return [
        (
            pk,
            score * tie,
            f"popular in {genres[pk]} right now{suffix}" if genres.get(pk) else f"popular right now{suffix}",
        )
        for pk, score in pool
    ]


def _genre_interleave(pool: Scored) -> Scored:
    """The pool reordered round-robin across genres (each genre's best first), for variety."""
    genres = dict(Track.objects.filter(pk__in=[pk for pk, _ in pool]).values_list("pk", "genre"))
    by_genre: dict[str, Scored] = defaultdict(list)
    for pk, score in pool:
        by_genre[genres.get(pk, "")].append((pk, score))
    queues = list(by_genre.values())  # dicts keep insertion order: genres by their best track
    mixed: Scored = []
    for rank in range(max((len(queue) for queue in queues), default=0)):
        mixed += [queue[rank] for queue in queues if rank < len(queue)]
    return mixed


def _blocked_track_ids(user: User, track_ids: set[int]) -> set[int]:
    """Among ``track_ids``: known, disliked, or by a rejected artist or of a rejected genre."""
    blocked = known_track_ids(user=user) & track_ids
    banned = imported_taste(user=user)
    blocked |= banned.banned_track_ids
    if banned.banned_artist_ids:
        blocked |= set(
            TrackArtist.objects.filter(
                track_id__in=track_ids, artist_id__in=banned.banned_artist_ids
            ).values_list("track_id", flat=True)
        )
    blocked |= set(
        Feedback.objects.filter(user=user, kind=Feedback.Kind.DISLIKE).values_list("track_id", flat=True)
    )
    rejected = TastePreference.objects.filter(user=user, liked=False).values_list("kind", "value")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in rejected:
        by_kind[kind].append(value)
    tracks, artists, genres = (
        by_kind[str(kind)]
        for kind in (TastePreference.Kind.TRACK, TastePreference.Kind.ARTIST, TastePreference.Kind.GENRE)
    )
    if tracks:
        blocked |= set(Track.objects.filter(spotify_id__in=tracks).values_list("pk", flat=True))
    if artists:
        blocked |= set(
            TrackArtist.objects.filter(track_id__in=track_ids, artist__spotify_id__in=artists).values_list(
                "track_id", flat=True
            )
        )
    rejected_genres = {value.strip().lower() for value in genres}
    if rejected_genres:
        for pk, genre, subgenre in Track.objects.filter(pk__in=track_ids).values_list(
            "pk", "genre", "subgenre"
        ):
            if genre.lower() in rejected_genres or subgenre.lower() in rejected_genres:
                blocked.add(pk)
    return blocked


@dataclass
class _Row:
    track_id: int
    sources: list[str]
    weight: float
    reason: str


def _combined(found: Mapping[str, list[tuple[int, float, str]]], limit: int) -> list[_Row]:
    """Interleave the sources rank by rank up to ``limit`` tracks, then merge each track's sources."""
    chosen: list[int] = []
    seen: set[int] = set()
    queues = [found[source] for source in SOURCE_ORDER if source in found]
    for rank in range(max((len(queue) for queue in queues), default=0)):
        for queue in queues:
            if rank < len(queue) and queue[rank][0] not in seen and len(chosen) < limit:
                seen.add(queue[rank][0])
                chosen.append(queue[rank][0])
    strengths: dict[int, dict[str, tuple[float, str]]] = defaultdict(dict)
    for source in SOURCE_ORDER:
        for track_id, score, reason in found.get(source, []):
            if track_id in seen:
                strengths[track_id].setdefault(source, (score, reason))
    rows = []
    for track_id in chosen:
        parts = strengths[track_id]
        weight = 1.0 - math.prod(1.0 - min(1.0, max(0.0, score)) for score, _ in parts.values())
        rows.append(_Row(track_id, list(parts), weight, next(iter(parts.values()))[1]))
    return rows


@transaction.atomic
def _candidates_store(user: User, rows: Sequence[_Row]) -> int:
    """Upsert the rows and delete the listener's other candidates; returns how many were deleted.

    The listener's user row is locked for the transaction, so two recalls of the same listener
    write one after the other instead of interleaving.
    """
    type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    now = timezone.now()
    Candidate.objects.bulk_create(
        [
            Candidate(
                user=user,
                track_id=row.track_id,
                sources=row.sources,
                weight=round(row.weight, 6),
                reason=row.reason[:200],
                fetched_at=now,
            )
            for row in rows
        ],
        update_conflicts=True,
        unique_fields=["user", "track"],
        update_fields=["sources", "weight", "reason", "fetched_at"],
        batch_size=1000,
    )
    removed, _ = Candidate.objects.filter(user=user, fetched_at__lt=now).delete()
    return removed


def users_due_for_recall(*, stale_after: timedelta = timedelta(hours=12)) -> list[int]:
    """Active listeners whose candidates are older than ``stale_after``, or who have none yet."""
    cutoff = timezone.now() - stale_after
    newest = Candidate.objects.filter(user=OuterRef("pk")).order_by("-fetched_at").values("fetched_at")[:1]
    return list(
        User.objects.filter(is_active=True)
        .annotate(newest=Subquery(newest))
        .filter(Q(newest__isnull=True) | Q(newest__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
