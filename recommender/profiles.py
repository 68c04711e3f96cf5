"""Track profiles: a mood text per track, its embedding, lyrics status and affect.

Embedding is the slow part, so profiles are refreshed by Celery and re-embedded only when
their mood text changes, and equal texts (common, since titles are left out) are embedded
once per refresh. A refresh of the whole catalog (``seed_demo`` at every start) first asks
the database, in one query, which tracks' catalog rows changed since their profile was last
refreshed (``inputs_hash``) and refreshes only those, so a warm start stays flat as the
catalog grows. Lyrics are asked for only while a track's status is not "found"; after
that its few lyrics mood words are read back from its stored mood text, so lyrics
themselves are never stored. Valence and energy follow (``affect.track_affect_refresh``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, prefetch_related_objects
from django.utils import timezone

from catalog.bulk import copy_update
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from catalog.types import TRACK_FEATURES
from mood.encoder import MODEL_ID, embed_texts
from mood.mood_text import lyrics_mood_words, lyrics_words_in, mood_text_for_track, text_hash
from mood.track_mood import track_mood_model
from recommender.affect import track_affect_refresh
from recommender.lyrics import LyricsResult, configured_lyrics_providers, lyrics_for_track
from recommender.models import TrackProfile
from recommender.track_moods import track_mood_refresh

# Vectors kept across the chunks of one refresh, by text hash: ~1.5 KB each.
MEMO_LIMIT = 20_000
# Part of every inputs_hash: bump it when a profile starts reading other catalog columns, or
# reads them differently (mood text, signal text, affect), so every profile is refreshed once.
PROFILE_RECIPE = 1
# What a profile is built from, as one text per track: the track's own columns, its album's
# name and date, its artists in credit order and its catalog playlists' names.
_TRACK_INPUTS = ("name", "genre", "subgenre", "duration_ms", "popularity", *TRACK_FEATURES)
_IN_SCOPE = "(%(all)s OR {column} = ANY(%(ids)s))"
# One query, aggregating artists and playlists once rather than per track: under 1 s at 58k tracks.
_INPUTS_SQL = f"""
    WITH credits AS (
        SELECT ta.track_id, array_agg(a.name ORDER BY ta.position, ta.id) AS names
        FROM {TrackArtist._meta.db_table} ta JOIN {Artist._meta.db_table} a ON a.id = ta.artist_id
        WHERE {_IN_SCOPE.format(column="ta.track_id")} GROUP BY ta.track_id
    ), listed AS (
        SELECT pi.track_id, array_agg(pl.name ORDER BY pl.id, pi.position) AS names
        FROM {PlaylistItem._meta.db_table} pi JOIN {Playlist._meta.db_table} pl ON pl.id = pi.playlist_id
        WHERE pl.owner_id IS NULL AND {_IN_SCOPE.format(column="pi.track_id")} GROUP BY pi.track_id
    )
    SELECT id, digest FROM (
        SELECT t.id, md5(%(salt)s || ROW(
                   {", ".join(f"t.{column}" for column in _TRACK_INPUTS)}, al.name, al.release_date,
                   coalesce(credits.names, '{{}}'), coalesce(listed.names, '{{}}')
               )::text) AS digest,
               p.id IS NULL OR p.embedding IS NULL AS unprofiled, p.inputs_hash, p.lyrics_status
        FROM {Track._meta.db_table} t
        LEFT JOIN {Album._meta.db_table} al ON al.id = t.album_id
        LEFT JOIN credits ON credits.track_id = t.id
        LEFT JOIN listed ON listed.track_id = t.id
        LEFT JOIN {TrackProfile._meta.db_table} p ON p.track_id = t.id
        WHERE {_IN_SCOPE.format(column="t.id")}
    ) AS inputs
    WHERE NOT %(changed_only)s OR unprofiled OR inputs_hash <> digest
          OR (%(lyrics_pending)s AND lyrics_status <> 'found')
    ORDER BY id"""


class _Stored(NamedTuple):
    text_hash: str
    embedded: bool
    lyrics_status: str
    mood_text: str


def _described_text(track: Track, lyrics_words: Sequence[str]) -> str:
    """The mood text without the title/artists fallback: "" when nothing describes the track."""
    return mood_text_for_track(
        genre=track.genre,
        subgenre=track.subgenre,
        valence=track.valence,
        energy=track.energy,
        tempo=track.tempo,
        danceability=track.danceability,
        acousticness=track.acousticness,
        instrumentalness=track.instrumentalness,
        speechiness=track.speechiness,
        liveness=track.liveness,
        lyrics_words=lyrics_words,
    )


def mood_text_of(track: Track, *, lyrics_words: Sequence[str] = ()) -> str:
    """The track's mood text; reads ``artist_links__artist`` (prefetch them) only for a track
    that nothing but its title and artists describes."""
    described = _described_text(track, lyrics_words)
    if described:
        return described
    return mood_text_for_track(
        name=track.name, artists=[link.artist.name for link in track.artist_links.all()]
    )


def _lyrics_moods(tracks: Sequence[Track], stored: dict[int, _Stored]) -> dict[int, tuple[str, list[str]]]:
    """(lyrics status, lyrics mood words) per track id; with no provider configured, "missing"."""
    moods: dict[int, tuple[str, list[str]]] = {}
    to_ask = []
    for track in tracks:
        known = stored.get(track.id)
        if known is not None and known.lyrics_status == "found":
            moods[track.id] = ("found", lyrics_words_in(known.mood_text))
        else:
            to_ask.append(track)
    providers = configured_lyrics_providers()
    if not providers:
        moods.update((track.id, ("missing", [])) for track in to_ask)
        return moods
    prefetch_related_objects(to_ask, "album", "artist_links__artist")

    def ask(track: Track) -> LyricsResult:
        return lyrics_for_track(track, providers=providers)

    workers = min(settings.LYRICS_FETCH_WORKERS, len(to_ask))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(ask, to_ask))
    else:
        results = [ask(track) for track in to_ask]
    for track, result in zip(to_ask, results, strict=True):
        moods[track.id] = (result.status, lyrics_mood_words(result.text) if result.text else [])
    return moods


def vector_key(text: str) -> str:
    """What a stored vector was made from: the mood text and the model that embedded it, so a
    new sentence encoder embeds every profile again (``text_hash`` on the profile)."""
    return text_hash(f"{MODEL_ID}\n{text}")


def _plan(
    tracks: Sequence[Track], stored: dict[int, _Stored], lyrics: dict[int, tuple[str, list[str]]]
) -> tuple[list[tuple[int, str, str, str]], dict[str, list[int]]]:
    """(track id, text, hash, lyrics status) of the tracks to embed, and the lyrics statuses
    that changed where the text did not."""
    prefetch_related_objects(
        [track for track in tracks if not _described_text(track, lyrics[track.id][1])], "artist_links__artist"
    )
    stale: list[tuple[int, str, str, str]] = []
    status_only: dict[str, list[int]] = defaultdict(list)
    for track in tracks:
        status, words = lyrics[track.id]
        text = mood_text_of(track, lyrics_words=words)
        digest = vector_key(text)
        known = stored.get(track.id)
        if known is None or known.text_hash != digest or not known.embedded:
            stale.append((track.id, text, digest, status))
        elif known.lyrics_status != status:
            status_only[status].append(track.id)
    return stale, status_only


def _embed_new_texts(stale: Sequence[tuple[int, str, str, str]], vectors: dict[str, np.ndarray]) -> None:
    new_texts = {digest: text for _, text, digest, _ in stale if digest not in vectors}
    if len(vectors) + len(new_texts) > MEMO_LIMIT:
        vectors.clear()
        new_texts = {digest: text for _, text, digest, _ in stale}
    vectors.update(zip(new_texts, embed_texts(list(new_texts.values())), strict=True))


def _refresh_chunk(track_ids: Sequence[int], vectors: dict[str, np.ndarray]) -> int:
    # Albums and artists are loaded only where needed (lyrics look-ups, tracks described by
    # their title alone): most tracks never read them.
    tracks = list(Track.objects.filter(id__in=track_ids))
    stored = {
        track_id: _Stored(*rest)
        for track_id, *rest in TrackProfile.objects.filter(track_id__in=track_ids)
        .annotate(embedded=ExpressionWrapper(Q(embedding__isnull=False), output_field=BooleanField()))
        .values_list("track_id", "text_hash", "embedded", "lyrics_status", "mood_text")
    }
    stale, status_only = _plan(tracks, stored, _lyrics_moods(tracks, stored))
    for status, ids in status_only.items():
        TrackProfile.objects.filter(track_id__in=ids).update(lyrics_status=status)
    if not stale:
        return 0
    _embed_new_texts(stale, vectors)
    now = timezone.now()
    profiles = [
        TrackProfile(
            track_id=track_id,
            mood_text=text,
            text_hash=digest,
            embedding=vectors[digest],
            embedded_at=now,
            lyrics_status=status,
        )
        for track_id, text, digest, status in stale
    ]
    # An upsert, so two workers refreshing the same tracks cannot trip the one-to-one.
    TrackProfile.objects.bulk_create(
        profiles,
        update_conflicts=True,
        unique_fields=["track"],
        update_fields=["mood_text", "text_hash", "embedding", "embedded_at", "lyrics_status"],
    )
    return len(profiles)


def track_profiles_refresh(*, track_ids: Iterable[int] | None = None, batch_size: int = 256) -> int:
    """Build mood texts, embed the tracks whose text changed or that have no vector yet,
    set their lyrics status, then their valence/energy and their mood (``track_moods``).

    ``track_ids`` None means the whole catalog, of which only the tracks whose catalog rows
    changed since their last refresh (or that lack a profile or vector, or, with a lyrics
    provider, lyrics) are refreshed; their moods are blended again with their artists'
    other tracks, and the worker's hourly mood refresh blends the rest. Returns how many
    profiles were embedded; a second run over unchanged tracks returns 0.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    wanted = None if track_ids is None else sorted(set(track_ids))
    if wanted == []:
        return 0
    inputs = _catalog_inputs(track_ids=wanted)
    ids = list(inputs)
    if not ids:
        return 0
    vectors: dict[str, np.ndarray] = {}
    embedded = sum(
        _refresh_chunk(ids[start : start + batch_size], vectors) for start in range(0, len(ids), batch_size)
    )
    # Estimates come from a model fitted on the whole catalog, so any change may move them all.
    track_affect_refresh(track_ids=None if track_ids is None else ids)
    track_mood_refresh(track_ids=ids)
    copy_update(TrackProfile, "track_id", ["inputs_hash"], list(inputs.items()))
    return embedded


def _catalog_inputs(*, track_ids: Sequence[int] | None) -> dict[int, str]:
    """Track id → digest of the catalog rows its profile is built from, computed by the
    database in one query: for the given tracks, or (None) for every track whose profile is
    missing, unembedded, out of date with its inputs or still waiting for lyrics.

    Read before the refresh and stored after it, so a track edited meanwhile keeps an old
    digest and is refreshed again next time.
    """
    salt = f"{PROFILE_RECIPE}|{MODEL_ID}|{track_mood_model().summary}|"
    with connection.cursor() as cursor:
        cursor.execute(
            _INPUTS_SQL,
            {
                "salt": salt,
                "all": track_ids is None,
                "ids": list(track_ids or ()),
                "changed_only": track_ids is None,
                "lyrics_pending": bool(configured_lyrics_providers()),
            },
        )
        return dict(cursor.fetchall())


def track_profiles_embed_missing(*, batch_size: int = 256) -> int:
    """Embed tracks that have no profile or no vector; cheap when there are none (beat runs it)."""
    ids = Track.objects.filter(Q(profile__isnull=True) | Q(profile__embedding__isnull=True)).values_list(
        "id", flat=True
    )
    return track_profiles_refresh(track_ids=list(ids), batch_size=batch_size)
