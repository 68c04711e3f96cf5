"""Offline evaluation of the recommender: pure metrics, and runners that ask the real recall
and ranker about throwaway listeners built from held-out data (``manage.py eval_recommender``).

Each case (one playlist, one mood, one Last.fm user) runs inside its own transaction that is
rolled back afterwards, so the throwaway user, their history and candidates, any ranking-weights
row and the leak guard's playlist edits all vanish with it. Baselines are computed from the
same catalog snapshot and excluded history as our ranker, so every row answers the same question.

Nothing here tunes anything: the ranker runs with the weights in force (plus one documented,
generous-pool variant), and the held-out tracks and artists are only ever read to score.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from django.db import transaction
from django.utils import timezone

from mood.target import TargetRegion, target_region

if TYPE_CHECKING:
    from accounts.models import User

T = TypeVar("T")

EVAL_EMAIL_DOMAIN = "eval.personalais.invalid"
# A generous variant of the ranker: every recall candidate (recall keeps at most 1,500) is
# considered, instead of only the ``candidate_pool`` nearest the mood query. Chosen from the
# recall size, not from any result.
GENEROUS_POOL = 2000

# --- pure metrics ------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Share of ``relevant`` found in the first ``k`` of ``ranked``; NaN when nothing is relevant."""
    if not relevant:
        return math.nan
    return len(set(ranked[:k]) & set(relevant)) / len(set(relevant))


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Binary-relevance NDCG: sum of 1/log2(rank+1) over hits in the top ``k`` (rank from 1),
    divided by the same sum for a perfect list of min(k, |relevant|) hits. A repeated item
    counts once. NaN when nothing is relevant."""
    wanted = set(relevant)
    if not wanted:
        return math.nan
    seen: set[Hashable] = set()
    dcg = 0.0
    for index, item in enumerate(ranked[:k]):
        if item in wanted and item not in seen:
            dcg += 1.0 / math.log2(index + 2)
        seen.add(item)
    ideal = sum(1.0 / math.log2(index + 2) for index in range(min(k, len(wanted))))
    return dcg / ideal


def hit_at_k(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """1.0 when any relevant item is in the top ``k``, else 0.0; NaN when nothing is relevant."""
    if not relevant:
        return math.nan
    return 1.0 if set(ranked[:k]) & set(relevant) else 0.0


def region_distance(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> np.ndarray:
    """Euclidean distance in Spotify's valence/energy square from the region's centre (NaN stays NaN)."""
    return np.hypot(
        np.asarray(valence, dtype=float) - region.valence, np.asarray(energy, dtype=float) - region.energy
    )


def in_region(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> np.ndarray:
    """Whether each track lies within ``region.width`` of the region's centre.

    This is the disc where the ranker's fit term (a Gaussian of that width) is above
    e^-0.5 ≈ 0.61. A track without features is outside: it did not demonstrably fit.
    """
    distance = region_distance(valence, energy, region)
    return np.where(np.isnan(distance), False, distance <= region.width + 1e-12)


def region_share(valence: np.ndarray, energy: np.ndarray, region: TargetRegion) -> float:
    """Share of the tracks inside the region (see ``in_region``); NaN for an empty list."""
    inside = in_region(valence, energy, region)
    return float(inside.mean()) if len(inside) else math.nan


def jaccard(first: Collection[Hashable], second: Collection[Hashable]) -> float:
    """|A ∩ B| / |A ∪ B|; two empty lists are identical (1.0)."""
    a, b = set(first), set(second)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def intra_list_distance(embeddings: np.ndarray) -> float:
    """Mean of 1 − cosine over all distinct pairs of rows; NaN for fewer than two rows."""
    rows = np.asarray(embeddings, dtype=np.float64)
    n = len(rows)
    if n < 2:
        return math.nan
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit = rows / np.where(norms == 0, 1, norms)
    cosine = unit @ unit.T
    upper = cosine[np.triu_indices(n, k=1)]
    return float(np.mean(1.0 - upper))


def distinct_count(values: Sequence[Hashable]) -> int:
    return len(set(values))


def holdout_split(
    items: Sequence[T], *, fraction: float, rng: np.random.Generator, minimum: int = 1
) -> tuple[list[T], list[T]]:
    """(visible, hidden): a random ``fraction`` (rounded, at least ``minimum``) hidden; both keep
    the input order, and at least one item stays visible."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    hidden_count = min(len(items) - 1, max(minimum, round(fraction * len(items))))
    if hidden_count < 1:
        return list(items), []
    hidden_at = set(rng.choice(len(items), size=hidden_count, replace=False).tolist())
    visible = [item for index, item in enumerate(items) if index not in hidden_at]
    hidden = [item for index, item in enumerate(items) if index in hidden_at]
    return visible, hidden


def mood_for_tracks(
    valence: Sequence[float | None] | np.ndarray, energy: Sequence[float | None] | np.ndarray
) -> tuple[float, float]:
    """Emotion coordinates (in [-1, 1]) whose target region is centred on the tracks' mean sound.

    The inverse of ``target_region``'s centre (0.5 + 0.4·x), clipped; tracks without
    features are ignored and none at all give the neutral (0, 0).
    """
    pairs = np.array(
        [
            [np.nan if v is None else v, np.nan if e is None else e]
            for v, e in zip(valence, energy, strict=True)
        ],
        dtype=float,
    ).reshape(-1, 2)
    known = pairs[~np.isnan(pairs).any(axis=1)]
    if not len(known):
        return 0.0, 0.0
    mean_valence, mean_energy = known.mean(axis=0)
    return (
        float(np.clip((mean_valence - 0.5) / 0.4, -1, 1)),
        float(np.clip((mean_energy - 0.5) / 0.4, -1, 1)),
    )


def artist_name_key(name: str) -> str:
    """A name for matching artists across data sets: accents, case, punctuation, "&"/"and" and a
    leading "the" do not matter ("Beyoncé" = "beyonce", "The Killers" = "Killers")."""
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^\w\s]", " ", text.replace("&", " and "))
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


def mean(values: Sequence[float]) -> float:
    """Mean ignoring NaN; NaN when there is nothing to average."""
    kept = [value for value in values if not math.isnan(value)]
    return float(np.mean(kept)) if kept else math.nan


# --- catalog snapshot ---------------------------------------------------------------------------


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
        from catalog.models import Track, TrackArtist
        from recommender.models import TrackProfile

        rows = list(
            TrackProfile.objects.filter(embedding__isnull=False)
            .order_by("track_id")
            .values_list("track_id", "embedding", "valence", "energy")
        )
        ids = [track_id for track_id, _, _, _ in rows]
        matrix = np.array([np.asarray(vector, dtype=np.float32) for _, vector, _, _ in rows]).reshape(
            len(rows), -1
        )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(rows) else np.ones((0, 1))
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


# --- running cases ------------------------------------------------------------------------------

RecallFunction = Callable[..., object]


def recall_function() -> RecallFunction | None:
    """``recall_candidates_for_user`` when the recall module exists, else None (the ranker then
    sees only the catalog tracks nearest the mood query)."""
    try:
        from recommender.recall import recall_candidates_for_user
    except ImportError:
        return None
    return recall_candidates_for_user


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction that is always rolled back: what a case writes never outlives it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def throwaway_user(tag: str) -> User:
    from accounts.models import User

    return User.objects.create_user(f"eval-{tag}@{EVAL_EMAIL_DOMAIN}", None, display_name="Evaluation")


def throwaway_users_delete() -> int:
    """Remove eval users a crashed run might have left (cases roll back, so normally none)."""
    from accounts.models import User

    deleted, _ = User.objects.filter(email__endswith=f"@{EVAL_EMAIL_DOMAIN}").delete()
    return deleted


def history_store(user: User, track_ids: Sequence[int]) -> None:
    """The listener's history: one play per track (the last one most recent) and the first 50
    as medium-term top tracks, in order."""
    from spotify.models import Play, TimeRange, TopTrack

    now = timezone.now()
    Play.objects.bulk_create(
        Play(user=user, track_id=track_id, played_at=now - timedelta(minutes=len(track_ids) - index))
        for index, track_id in enumerate(track_ids)
    )
    TopTrack.objects.bulk_create(
        TopTrack(user=user, track_id=track_id, time_range=TimeRange.MEDIUM, rank=rank)
        for rank, track_id in enumerate(track_ids[:50], start=1)
    )


@dataclass(frozen=True)
class MoodQuery:
    """What a request to the ranker says about mood: a label, circumplex coordinates, words."""

    label: str
    valence: float
    arousal: float
    text: str = ""


def ranked_by_ours(
    user: User, mood: MoodQuery, *, count: int, rng: np.random.Generator, record: bool = False
) -> list[int]:
    return list(ours_with_sources(user, mood, count=count, rng=rng, record=record))


def ours_with_sources(
    user: User, mood: MoodQuery, *, count: int, rng: np.random.Generator, record: bool = False
) -> dict[int, tuple[str, ...]]:
    """Our ranked list as track id → the recall sources behind each pick, best first."""
    from recommender.services import recommend_tracks

    picks = recommend_tracks(
        user=user,
        label=mood.label,
        valence=mood.valence,
        arousal=mood.arousal,
        text=mood.text,
        count=count,
        rng=rng,
        record=record,
    )
    return {pick.track_id: tuple(pick.sources) for pick in picks}


def generous_weights_install(pool: int = GENEROUS_POOL) -> None:
    """Put in force (inside the case's transaction) a copy of the current weights whose
    candidate pool covers every recall candidate."""
    from recommender.models import RankingWeights

    current = RankingWeights.objects.first() or RankingWeights()
    current.pk = None
    current.candidate_pool = pool
    current.note = "eval_recommender: generous pool (rolled back)"
    current.save()


def recall_order(user: User, *, count: int) -> list[int]:
    """Recall's own ranking: the listener's candidates by weight."""
    from recommender.models import Candidate

    return list(
        Candidate.objects.filter(user=user)
        .order_by("-weight", "track_id")
        .values_list("track_id", flat=True)[:count]
    )


# --- (a) playlist continuation ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseState:
    """What a case looks like after its history and leak guard are in place, before recall;
    given to ``on_case`` hooks (the tests check the leak guard with it)."""

    user: User
    playlist_id: int
    visible: tuple[int, ...]
    hidden: tuple[int, ...]


@dataclass
class ContinuationCase:
    playlist_id: int
    name: str
    visible: list[int]
    hidden: list[int]
    lists: dict[str, list[int]]
    sources: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)  # ours: id → sources
    hidden_in_candidates: int = 0  # hidden tracks among the recall candidates (ours' ceiling)


@dataclass
class ContinuationRun:
    cases: list[ContinuationCase]
    recall_used: bool
    skipped_small: int
    seconds: float = 0.0


def hidden_tracks_rehome(*, playlist_id: int, hidden: Collection[int]) -> None:
    """The leak guard: move each hidden track out of the evaluated playlist into a one-track
    catalog playlist of its own, for the case's transaction only.

    Co-occurrence then cannot reach a hidden track through the playlist it was hidden from (a
    one-track playlist shares nothing with the history), while every track still counts the
    same number of catalog playlists, so the popular pool neither favours nor (as deleting
    the items would: every other catalog track is in some playlist) penalises hidden tracks.
    Other playlists that hold a hidden track are left alone: that is real co-occurrence.
    """
    from catalog.models import Playlist, PlaylistItem

    for track_id in hidden:
        holder = Playlist.objects.create(
            spotify_id=f"eval-holdout-{playlist_id}-{track_id}", name="evaluation hold-out", owner=None
        )
        PlaylistItem.objects.filter(playlist_id=playlist_id, track_id=track_id).update(
            playlist=holder, position=0
        )


@contextmanager
def genre_labels_removed() -> Iterator[int]:
    """Blank every track's genre and subgenre and re-embed the catalog, for the block only
    (rolled back after); yields how many profiles were re-embedded.

    In the demo catalog a track's genre/subgenre is the label of the playlist it appears in
    most often, so the labels (which are in every mood text) nearly name a track's playlist.
    Without them, continuation measures what history, artists and sound alone recover.
    """
    from django.db import connection

    from catalog.models import Track
    from recommender.models import TrackProfile
    from recommender.profiles import track_profiles_refresh

    try:
        with rolled_back():
            Track.objects.update(genre="", subgenre="")
            yield track_profiles_refresh()
    finally:
        # The rolled-back updates leave a dead version of every profile in the HNSW index;
        # until vacuumed, index scans walk them and can return fewer rows than asked.
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {TrackProfile._meta.db_table}")


def continuation_playlists(*, sample: int, seed: int, min_tracks: int = 5) -> tuple[list[int], int, int]:
    """(playlist ids to evaluate, how many were eligible, how many were too small): catalog
    playlists of at least ``min_tracks`` tracks, a seeded sample of ``sample`` of them (0 = all),
    in id order."""
    from django.db.models import Count

    from catalog.models import Playlist

    sizes = dict(
        Playlist.objects.filter(owner__isnull=True)
        .exclude(spotify_id__startswith="eval-")
        .annotate(n=Count("items"))
        .values_list("pk", "n")
    )
    eligible = sorted(pk for pk, n in sizes.items() if n >= min_tracks)
    small = len(sizes) - len(eligible)
    chosen = eligible
    if sample and sample < len(eligible):
        rng = np.random.default_rng([seed, 1])
        chosen = sorted(int(pk) for pk in rng.choice(eligible, size=sample, replace=False))
    return chosen, len(eligible), small


def continuation_run(
    *,
    catalog: CatalogView,
    playlist_ids: Sequence[int],
    seed: int = 0,
    fraction: float = 0.2,
    count: int = 50,
    generous: bool = True,
    recall: RecallFunction | None = None,
    on_case: Callable[[CaseState], None] | None = None,
    skipped_small: int = 0,
) -> ContinuationRun:
    """Hide ``fraction`` of each playlist, give a throwaway listener the rest as history, and
    collect each method's top ``count``.

    The mood is label "neutral" at the coordinates whose target region is centred on the
    visible tracks' mean valence/energy (``mood_for_tracks``): a playlist states no feeling,
    so the query should only describe how the listener's music already sounds, and the
    history terms (β recent, γ top) and recall decide the rest.
    """
    from catalog.models import Playlist, PlaylistItem
    from recommender.models import Candidate

    started = time.perf_counter()
    names = dict(Playlist.objects.filter(pk__in=playlist_ids).values_list("pk", "name"))
    cases = []
    for playlist_id in playlist_ids:
        items = list(
            PlaylistItem.objects.filter(playlist_id=playlist_id)
            .order_by("position")
            .values_list("track_id", flat=True)
        )
        visible, hidden = holdout_split(
            items, fraction=fraction, rng=np.random.default_rng([seed, playlist_id])
        )
        lists: dict[str, list[int]] = {}
        sources: dict[str, dict[int, tuple[str, ...]]] = {}
        in_candidates = 0
        with rolled_back():
            user = throwaway_user(f"playlist-{playlist_id}")
            history_store(user, visible)
            hidden_tracks_rehome(playlist_id=playlist_id, hidden=hidden)
            if on_case is not None:
                on_case(CaseState(user, playlist_id, tuple(visible), tuple(hidden)))
            if recall is not None:
                recall(user=user)
                lists["recall order (weight)"] = recall_order(user, count=count)
                in_candidates = Candidate.objects.filter(user=user, track_id__in=hidden).count()
            valence, arousal = mood_for_tracks(*catalog.affect_of(visible))
            mood = MoodQuery("neutral", valence, arousal)
            sources["ours"] = ours_with_sources(
                user, mood, count=count, rng=np.random.default_rng([seed, playlist_id, 0])
            )
            if generous:
                generous_weights_install()
                sources[f"ours, pool {GENEROUS_POOL:,}"] = ours_with_sources(
                    user, mood, count=count, rng=np.random.default_rng([seed, playlist_id, 0])
                )
            lists.update((method, list(picked)) for method, picked in sources.items())
        known = set(visible)
        lists["popularity"] = catalog.popular(exclude=known, count=count)
        lists["same genre label + popularity (probe)"] = catalog.same_label_popular(
            history=visible, exclude=known, count=count
        )
        lists["random"] = catalog.random(
            exclude=known, count=count, rng=np.random.default_rng([seed, playlist_id, 9])
        )
        cases.append(
            ContinuationCase(
                playlist_id, names.get(playlist_id, ""), visible, hidden, lists, sources, in_candidates
            )
        )
    return ContinuationRun(cases, recall is not None, skipped_small, time.perf_counter() - started)


def continuation_table(run: ContinuationRun) -> list[tuple[str, float, float, float, float]]:
    """Per method: (name, recall@10, recall@50, NDCG@10, share of playlists with a hit in the top 50)."""
    methods = list(dict.fromkeys(name for case in run.cases for name in case.lists))
    rows = []
    for method in methods:
        cases = [case for case in run.cases if method in case.lists]
        rows.append(
            (
                method,
                mean([recall_at_k(c.lists[method], c.hidden, 10) for c in cases]),
                mean([recall_at_k(c.lists[method], c.hidden, 50) for c in cases]),
                mean([ndcg_at_k(c.lists[method], c.hidden, 10) for c in cases]),
                mean([hit_at_k(c.lists[method], c.hidden, 50) for c in cases]),
            )
        )
    return rows


def continuation_hits_by_source(run: ContinuationRun, method: str, k: int = 50) -> Counter[str]:
    """Hidden tracks in ``method``'s top ``k``, counted by the first recall source behind each
    ("mood" = a catalog track found only by its closeness to the mood query)."""
    hits: Counter[str] = Counter()
    for case in run.cases:
        picked = case.sources.get(method, {})
        for track_id in case.lists.get(method, [])[:k]:
            if track_id in case.hidden:
                hits[(picked.get(track_id) or ("?",))[0]] += 1
    return hits


# --- (b) mood fit and (d) repetition --------------------------------------------------------------

# What a listener says, taken through the agent's own perception and listening target.
MOOD_PROMPTS: tuple[tuple[str, str], ...] = (
    ("sad", "I feel so sad and lonely tonight"),
    ("happy", "I'm so happy, I just got the job!"),
    ("calm", "play something calm, I need to relax"),
    ("angry", "I'm furious, my boss is driving me mad"),
    ("energetic", "pump me up for the gym"),
    ("neutral", "something for the commute"),
)


@dataclass(frozen=True)
class MoodTarget:
    name: str
    text: str
    label: str
    valence: float
    arousal: float

    @property
    def region(self) -> TargetRegion:
        return target_region(self.valence, self.arousal, strategy="match")


def mood_targets() -> list[MoodTarget]:
    """The prompts' targets, via ``mood_from_text`` and ``listening_target`` as a chat turn does."""
    from mood.perception import mood_from_text
    from mood.target import listening_target

    targets = []
    for name, text in MOOD_PROMPTS:
        target = listening_target(mood_from_text(text), text)
        targets.append(MoodTarget(name, text, target.label, target.valence, target.arousal))
    return targets


@dataclass
class MoodCase:
    target: MoodTarget
    lists: dict[str, list[list[int]]]  # method → several top-10 lists


@dataclass
class RepetitionCase:
    mood: str
    persona: str  # "new listener" | "with history"
    jaccard: dict[str, float]


@dataclass
class MoodRun:
    cases: list[MoodCase]
    repetition: list[RepetitionCase]
    recall_used: bool
    seconds: float = 0.0


def mood_run(
    *,
    catalog: CatalogView,
    seed: int = 0,
    lists_per_mood: int = 5,
    count: int = 10,
    recall: RecallFunction | None = None,
    history_playlist_id: int | None = None,
) -> MoodRun:
    """(b) For each mood, a new listener (no history; recall's cold start when recall exists):
    ``lists_per_mood`` top-``count`` lists from ours (record=False, different seeds) vs the
    popularity top ``count`` vs random draws.

    (d) Then, for that listener and for one with history (the tracks of catalog playlist
    ``history_playlist_id``), two consecutive lists for the same mood with record=True, so the
    repeat window applies, and two with record=False (sampling alone).
    """
    from catalog.models import PlaylistItem

    started = time.perf_counter()
    history = (
        list(PlaylistItem.objects.filter(playlist_id=history_playlist_id).values_list("track_id", flat=True))
        if history_playlist_id is not None
        else []
    )
    cases: list[MoodCase] = []
    repetition: list[RepetitionCase] = []
    for index, target in enumerate(mood_targets()):
        mood = MoodQuery(target.label, target.valence, target.arousal, target.text)
        lists: dict[str, list[list[int]]] = defaultdict(list)
        personas = [("new listener", [])] + ([("with history", history)] if history else [])
        for persona, tracks in personas:
            with rolled_back():
                user = throwaway_user(f"mood-{index}-{len(tracks)}")
                history_store(user, tracks)
                if recall is not None:
                    recall(user=user)
                if not tracks:
                    for draw in range(lists_per_mood):
                        rng = np.random.default_rng([seed, 100 + index, draw])
                        lists["ours"].append(ranked_by_ours(user, mood, count=count, rng=rng))
                repetition.append(
                    _repetition_case(
                        user, catalog, target, persona, mood, seed=seed, index=index, count=count
                    )
                )
        for draw in range(lists_per_mood):
            lists["popularity"].append(catalog.popular(exclude=(), count=count))
            lists["random"].append(
                catalog.random(exclude=(), count=count, rng=np.random.default_rng([seed, 200 + index, draw]))
            )
        cases.append(MoodCase(target, dict(lists)))
    return MoodRun(cases, repetition, recall is not None, time.perf_counter() - started)


def _repetition_case(
    user: User,
    catalog: CatalogView,
    target: MoodTarget,
    persona: str,
    mood: MoodQuery,
    *,
    seed: int,
    index: int,
    count: int,
) -> RepetitionCase:
    excluded = set(history_track_ids(user))
    rngs = [np.random.default_rng([seed, 300 + index, draw]) for draw in range(6)]
    unrecorded = [ranked_by_ours(user, mood, count=count, rng=rngs[draw]) for draw in (0, 1)]
    recorded = [ranked_by_ours(user, mood, count=count, rng=rngs[draw], record=True) for draw in (2, 3)]
    popular = [catalog.popular(exclude=excluded, count=count) for _ in (0, 1)]
    drawn = [catalog.random(exclude=excluded, count=count, rng=rngs[draw]) for draw in (4, 5)]
    return RepetitionCase(
        target.name,
        persona,
        {
            "ours (record=True)": jaccard(*recorded),
            "ours (record=False)": jaccard(*unrecorded),
            "popularity": jaccard(*popular),
            "random": jaccard(*drawn),
        },
    )


def history_track_ids(user: User) -> list[int]:
    from spotify.models import Play, TopTrack

    return sorted(
        set(Play.objects.filter(user=user).values_list("track_id", flat=True))
        | set(TopTrack.objects.filter(user=user).values_list("track_id", flat=True))
    )


def mood_table(run: MoodRun, catalog: CatalogView) -> list[tuple[str, str, float, str, float, float]]:
    """Per mood: (mood, target "label v/a → centre ± width", catalog share in region, method,
    share of the top 10 in region, mean distance to the centre)."""
    total_valence, total_energy = catalog.affect_of(catalog.track_ids)
    rows = []
    for case in run.cases:
        region = case.target.region
        described = (
            f"{case.target.label} ({case.target.valence:+.1f},{case.target.arousal:+.1f}) → "
            f"({region.valence:.2f},{region.energy:.2f})±{region.width:.2f}"
        )
        base_rate = region_share(total_valence, total_energy, region)
        for method, lists in case.lists.items():
            shares, distances = [], []
            for ids in lists:
                valence, energy = catalog.affect_of(ids)
                shares.append(region_share(valence, energy, region))
                distances.append(float(np.nanmean(region_distance(valence, energy, region))))
            rows.append((case.target.name, described, base_rate, method, mean(shares), mean(distances)))
    return rows


def diversity_rows(
    catalog: CatalogView, lists_by_method: dict[str, list[list[int]]], k: int = 10
) -> list[tuple[str, float, float]]:
    """Per method: (name, mean distinct lead artists in the top ``k``, mean intra-list distance)."""
    rows = []
    for method, lists in lists_by_method.items():
        measured = [catalog.diversity(ids[:k]) for ids in lists if ids]
        rows.append((method, mean([m[0] for m in measured]), mean([m[1] for m in measured])))
    return rows


# --- (e) artist-level personalization on Last.fm (HetRec 2011) ----------------------------------


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
    from recommender.models import Candidate
    from spotify.models import TimeRange, TopArtist

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
