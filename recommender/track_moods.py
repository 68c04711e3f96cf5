"""Every track's mood (``mood.track_mood``), computed by the worker and stored on its profile.

Two steps. A track's *own* distribution comes from its own signals (audio features, its
signal text, metadata) and is recomputed only when those inputs change. Its stored
distribution then blends in what the database knows around it: its lead artist's other
tracks, its catalog playlists' other tracks, and listeners' votes on lists served for a mood
(a 👍 or save on a track served for *calm* is one vote that it is calm; a 👎 or skip spreads
one vote over the other moods). Listener-owned playlists are left out: one person's
playlist names should not change what everyone else is told about a track.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Q

from catalog.bulk import copy_update
from catalog.models import PlaylistItem, Track, TrackArtist
from mood.encoder import embed_texts
from mood.mood_text import lyrics_words_in
from mood.track_mood import (
    FEATURE_NAMES,
    TRACK_MOODS,
    MoodEvidence,
    TrackMoodModel,
    feature_row,
    meta_row,
    mood_blend,
    mood_of,
    signal_text,
    track_mood_model,
)
from recommender.models import Feedback, TrackProfile

CHUNK = 1000
# Which signals a refresh may use; evaluation turns some off to measure what each adds.
ALL_SIGNALS = frozenset({"features", "text", "metadata", "artist", "playlists", "listeners"})


@dataclass(frozen=True)
class _Inputs:
    track_id: int
    features: list[float] | None
    text: str
    meta: list[float]

    def digest(self, model: TrackMoodModel) -> str:
        return hashlib.sha256(repr((model.summary, self.features, self.text, self.meta)).encode()).hexdigest()


def _inputs(track_ids: Sequence[int], signals: frozenset[str]) -> list[_Inputs]:
    # The profile is read for its mood text only: its vector would be most of the transfer.
    tracks = (
        Track.objects.filter(id__in=track_ids, profile__isnull=False)
        .select_related("album", "profile")
        .defer("profile__embedding")
    )
    artists: dict[int, list[str]] = defaultdict(list)
    for track_id, name in (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .order_by("track_id", "position", "id")
        .values_list("track_id", "artist__name")
    ):
        artists[track_id].append(name)
    playlists: dict[int, list[str]] = defaultdict(list)
    if "playlists" in signals:
        for track_id, name in (
            PlaylistItem.objects.filter(track_id__in=track_ids, playlist__owner__isnull=True)
            .order_by("track_id", "playlist_id")
            .values_list("track_id", "playlist__name")
        ):
            playlists[track_id].append(name)
    rows = []
    for track in tracks:
        features = feature_row({name: getattr(track, name) for name in FEATURE_NAMES})
        text = signal_text(
            name=track.name,
            artists=artists[track.id],
            album=track.album.name if track.album else "",
            genre=track.genre,
            subgenre=track.subgenre,
            playlists=playlists[track.id],
            lyrics_words=lyrics_words_in(track.profile.mood_text),
        )
        meta = meta_row(
            duration_ms=track.duration_ms,
            release_date=track.album.release_date if track.album else "",
            popularity=track.popularity,
        )
        rows.append(
            _Inputs(
                track_id=track.id,
                features=features if "features" in signals else None,
                text=text if "text" in signals else "",
                meta=meta if "metadata" in signals else [np.nan] * len(meta),
            )
        )
    return rows


def _own_distributions(rows: Sequence[_Inputs], model: TrackMoodModel) -> np.ndarray:
    texts = list(dict.fromkeys(row.text for row in rows))
    vectors = dict(zip(texts, embed_texts(texts), strict=True)) if texts else {}
    embeddings = np.array([vectors[row.text] for row in rows], dtype=np.float32)
    # An empty text (the text signal turned off) embeds to a vector that says nothing of mood.
    features = np.array([row.features or [np.nan] * len(FEATURE_NAMES) for row in rows], dtype=np.float64)
    meta = np.array([row.meta for row in rows], dtype=np.float64)
    return model.predict(features=features, embeddings=embeddings, meta=meta)


def _refresh_own(track_ids: Sequence[int], signals: frozenset[str], model: TrackMoodModel) -> list[int]:
    """Recompute ``mood_own`` where its inputs changed; returns the track ids that changed."""
    stored = dict(TrackProfile.objects.filter(track_id__in=track_ids).values_list("track_id", "mood_hash"))
    rows = [row for row in _inputs(track_ids, signals) if stored.get(row.track_id) != row.digest(model)]
    if not rows:
        return []
    distributions = _own_distributions(rows, model)
    copy_update(
        TrackProfile,
        "track_id",
        ["mood_own", "mood_hash", "mood_signals"],
        [
            (
                row.track_id,
                [round(float(v), 5) for v in distribution],
                row.digest(model),
                "features" if row.features is not None else "text",
            )
            for row, distribution in zip(rows, distributions, strict=True)
        ],
    )
    return [row.track_id for row in rows]


def _votes(track_ids: Sequence[int]) -> dict[int, np.ndarray]:
    votes: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(len(TRACK_MOODS)))
    rows = (
        Feedback.objects.filter(track_id__in=track_ids, item__isnull=False)
        .exclude(item__served__track_mood="")
        .values_list("track_id", "kind", "item__served__track_mood")
    )
    for track_id, kind, mood in rows:
        if mood not in TRACK_MOODS:
            continue
        index = TRACK_MOODS.index(mood)
        if kind in (Feedback.Kind.LIKE, Feedback.Kind.SAVED):
            votes[track_id][index] += 1.0
        else:
            others = np.ones(len(TRACK_MOODS)) / (len(TRACK_MOODS) - 1)
            others[index] = 0.0
            votes[track_id] += others
    return dict(votes)


_BLENDED = ("mood", "mood_label", "mood_confidence", "mood_signals")


def _blend(track_ids: Sequence[int], signals: frozenset[str]) -> int:
    """Recompute the stored ``mood`` of ``track_ids`` from their own and their neighbours';
    returns how many changed."""
    lead_artist = dict(
        TrackArtist.objects.filter(track_id__in=track_ids, position=0).values_list("track_id", "artist_id")
    )
    mates_by_artist: dict[int, list[int]] = defaultdict(list)
    if "artist" in signals:
        for track_id, artist_id in TrackArtist.objects.filter(
            artist_id__in=set(lead_artist.values()), position=0
        ).values_list("track_id", "artist_id"):
            mates_by_artist[artist_id].append(track_id)
    playlists_of: dict[int, list[int]] = defaultdict(list)
    members: dict[int, list[int]] = defaultdict(list)
    wanted = set(track_ids)
    if "playlists" in signals:
        for playlist_id, track_id in PlaylistItem.objects.filter(
            playlist__owner__isnull=True,
            playlist_id__in=PlaylistItem.objects.filter(track_id__in=track_ids).values("playlist_id"),
        ).values_list("playlist_id", "track_id"):
            members[playlist_id].append(track_id)
            if track_id in wanted:
                playlists_of[track_id].append(playlist_id)
    neighbour_ids = {t for ids in mates_by_artist.values() for t in ids} | {
        t for ids in members.values() for t in ids
    }
    own = {
        track_id: np.asarray(values)
        for track_id, values in TrackProfile.objects.filter(
            Q(track_id__in=track_ids) | Q(track_id__in=neighbour_ids), mood_own__isnull=False
        ).values_list("track_id", "mood_own")
    }
    votes = _votes(track_ids) if "listeners" in signals else {}
    changed = []
    for track_id, *stored in TrackProfile.objects.filter(
        track_id__in=track_ids, mood_own__isnull=False
    ).values_list("track_id", *_BLENDED):
        artist_mates = [
            own[t]
            for t in mates_by_artist.get(lead_artist.get(track_id, -1), [])
            if t != track_id and t in own
        ]
        playlist_mates = [
            own[t] for p in playlists_of.get(track_id, []) for t in members[p] if t != track_id and t in own
        ]
        distribution, used = mood_blend(
            MoodEvidence(
                own=own[track_id],
                has_features=stored[-1].startswith("features"),
                artist_mates=np.array(artist_mates) if artist_mates else None,
                playlist_mates=np.array(playlist_mates) if playlist_mates else None,
                votes=votes.get(track_id),
            )
        )
        label, confidence = mood_of(distribution)
        blended = ([round(float(v), 5) for v in distribution], label, round(confidence, 4), ", ".join(used))
        if tuple(stored) != blended:
            changed.append((track_id, *blended))
    # Only the rows that moved, by COPY: an hourly refresh over the whole catalog moves few.
    return len(copy_update(TrackProfile, "track_id", _BLENDED, changed))


def track_mood_refresh(
    *, track_ids: Iterable[int] | None = None, signals: frozenset[str] = ALL_SIGNALS, force: bool = False
) -> int:
    """Compute the mood of the given profiled tracks (all when None); returns how many changed.

    Own distributions are recomputed only where their inputs changed (``force`` ignores
    that); the blend is redone for those tracks and their lead artists' other tracks, and,
    on a full refresh, for every track (votes and playlists may have changed).
    """
    model = track_mood_model()
    if track_ids is None:
        ids = list(TrackProfile.objects.order_by("track_id").values_list("track_id", flat=True))
    else:
        ids = sorted(set(track_ids))
    if force:
        TrackProfile.objects.filter(track_id__in=ids).update(mood_hash="")
    changed: list[int] = []
    for start in range(0, len(ids), CHUNK):
        changed += _refresh_own(ids[start : start + CHUNK], signals, model)
    to_blend = ids if track_ids is None else _with_artist_mates(changed)
    for start in range(0, len(to_blend), CHUNK):
        _blend(to_blend[start : start + CHUNK], signals)
    return len(changed)


def _with_artist_mates(track_ids: Sequence[int]) -> list[int]:
    if not track_ids:
        return []
    artists = TrackArtist.objects.filter(track_id__in=track_ids, position=0).values("artist_id")
    mates = TrackArtist.objects.filter(artist_id__in=artists, position=0).values_list("track_id", flat=True)
    return sorted(set(track_ids) | set(mates))
