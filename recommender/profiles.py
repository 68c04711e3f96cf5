"""Track profiles: a mood text per track, its embedding, lyrics status and affect.

Embedding is the slow part, so profiles are refreshed by Celery and re-embedded only when
their mood text changes, and equal texts (common, since titles are left out) are embedded
once per refresh. Lyrics are asked for only while a track's status is not "found"; after
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
from django.db.models import BooleanField, ExpressionWrapper, Q, prefetch_related_objects
from django.utils import timezone

from catalog.models import Track
from mood.encoder import embed_texts
from mood.mood_text import lyrics_mood_words, lyrics_words_in, mood_text_for_track, text_hash
from recommender.affect import track_affect_refresh
from recommender.lyrics import LyricsResult, configured_lyrics_providers, lyrics_for_track
from recommender.models import TrackProfile
from recommender.track_moods import track_mood_refresh

# Vectors kept across the chunks of one refresh, by text hash: ~1.5 KB each.
MEMO_LIMIT = 20_000


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
        digest = text_hash(text)
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

    ``track_ids`` None means the whole catalog. Returns how many profiles were embedded;
    a second run over unchanged tracks returns 0.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if track_ids is None:
        ids = list(Track.objects.order_by("id").values_list("id", flat=True))
    else:
        ids = sorted(set(track_ids))
    if not ids:
        return 0
    vectors: dict[str, np.ndarray] = {}
    embedded = sum(
        _refresh_chunk(ids[start : start + batch_size], vectors) for start in range(0, len(ids), batch_size)
    )
    track_affect_refresh(track_ids=None if track_ids is None else ids)
    track_mood_refresh(track_ids=None if track_ids is None else ids)
    return embedded


def track_profiles_embed_missing(*, batch_size: int = 256) -> int:
    """Embed tracks that have no profile or no vector; cheap when there are none (beat runs it)."""
    ids = Track.objects.filter(Q(profile__isnull=True) | Q(profile__embedding__isnull=True)).values_list(
        "id", flat=True
    )
    return track_profiles_refresh(track_ids=list(ids), batch_size=batch_size)
