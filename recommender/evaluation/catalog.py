"""The catalog as the evaluation sees it, read once: vectors, affect, artists, labels, popularity.

Also the baselines that need nothing but the catalog: popularity, random, and the genre-label probe.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from catalog.models import Track, TrackArtist
from recommender.evaluation.metrics import distinct_count, intra_list_distance
from recommender.models import TrackProfile


@dataclass
class CatalogView:
    """What the runners and baselines need about every embedded catalog track, read once."""

    track_ids: list[int]
    embeddings: np.ndarray  # unit rows, aligned with track_ids
    valence: dict[int, float]
    energy: dict[int, float]
    lead_artist: dict[int, int]
    artists: dict[int, tuple[int, ...]]
    label: dict[int, tuple[str, str]]  # (genre, subgenre)
    by_popularity: list[int]  # most popular first, ties by id
    row: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row = {track_id: index for index, track_id in enumerate(self.track_ids)}

    @classmethod
    def load(cls) -> CatalogView:
        rows = list(
            TrackProfile.objects.filter(embedding__isnull=False)
            .order_by("track_id")
            .values_list("track_id", "embedding", "valence", "energy")
        )
        ids = [track_id for track_id, _, _, _ in rows]
        vectors = [np.asarray(vector, dtype=np.float32) for _, vector, _, _ in rows]
        matrix = np.array(vectors).reshape(len(rows), -1) if rows else np.zeros((0, 1), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if rows else np.ones((0, 1))
        tracks = {
            pk: (valence, energy, popularity, genre, subgenre)
            for pk, valence, energy, popularity, genre, subgenre in Track.objects.filter(
                pk__in=ids
            ).values_list("pk", "valence", "energy", "popularity", "genre", "subgenre")
        }
        estimated = {track_id: (valence, energy) for track_id, _, valence, energy in rows}
        artists: dict[int, list[int]] = defaultdict(list)
        for track_id, artist_id in (
            TrackArtist.objects.filter(track_id__in=ids)
            .order_by("track_id", "position")
            .values_list("track_id", "artist_id")
        ):
            artists[track_id].append(artist_id)

        def affect(track_id: int, index: int) -> float:
            value = tracks[track_id][index]
            value = estimated[track_id][index] if value is None else value
            return math.nan if value is None else float(value)

        popularity = {track_id: tracks[track_id][2] or 0 for track_id in ids}
        return cls(
            track_ids=ids,
            embeddings=matrix / np.where(norms == 0, 1, norms),
            valence={track_id: affect(track_id, 0) for track_id in ids},
            energy={track_id: affect(track_id, 1) for track_id in ids},
            lead_artist={
                track_id: artists[track_id][0] if artists[track_id] else -track_id for track_id in ids
            },
            artists={track_id: tuple(artists[track_id]) for track_id in ids},
            label={track_id: (tracks[track_id][3], tracks[track_id][4]) for track_id in ids},
            by_popularity=sorted(ids, key=lambda track_id: (-popularity[track_id], track_id)),
        )

    def popular(self, *, exclude: Collection[int], count: int) -> list[int]:
        """The popularity baseline: the most popular catalog tracks not in ``exclude``."""
        chosen = []
        for track_id in self.by_popularity:
            if track_id not in exclude:
                chosen.append(track_id)
                if len(chosen) == count:
                    break
        return chosen

    def random(self, *, exclude: Collection[int], count: int, rng: np.random.Generator) -> list[int]:
        """The random baseline: ``count`` catalog tracks not in ``exclude``, drawn with ``rng``."""
        pool = [track_id for track_id in self.track_ids if track_id not in exclude]
        picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
        return [pool[index] for index in picks]

    def same_label_popular(
        self, *, history: Sequence[int], exclude: Collection[int], count: int
    ) -> list[int]:
        """A probe, not a recommender: tracks sharing the history's most common (genre, subgenre)
        by popularity, then the rest by popularity. It shows how much of continuation the
        catalog's genre labels alone explain."""
        labels = Counter(self.label[track_id] for track_id in history if track_id in self.label)
        if not labels:
            return self.popular(exclude=exclude, count=count)
        wanted = labels.most_common(1)[0][0]
        same = [t for t in self.by_popularity if self.label[t] == wanted and t not in exclude]
        rest = self.popular(exclude=set(exclude) | set(same), count=count)
        return (same + rest)[:count]

    def affect_of(self, track_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        valence = np.array([self.valence.get(t, math.nan) for t in track_ids], dtype=float)
        energy = np.array([self.energy.get(t, math.nan) for t in track_ids], dtype=float)
        return valence, energy

    def diversity(self, track_ids: Sequence[int]) -> tuple[float, float]:
        """(distinct lead artists, intra-list distance) of a list."""
        known = [t for t in track_ids if t in self.row]
        leads = [self.lead_artist[t] for t in known]
        vectors = self.embeddings[[self.row[t] for t in known]] if known else np.zeros((0, 1))
        return float(distinct_count(leads)), intra_list_distance(vectors)
