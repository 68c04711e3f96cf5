"""An artist's genre from every labelled playlist its tracks appear on, and a track's from its artists (pure).

A source playlist's genre says where the playlist was filed, not what each track on it is:
in the Kaggle data "Arab X" is US trap followed by Nigerian Afrobeats, "Meditative Vibes" is
Afrobeats, "Top Gaming Tracks" is the week's pop and rap. So no playlist decides alone:

1. **Trust.** A playlist's label is confirmed by each of its artists who also appears on
   *another* playlist of the same genre, and doubted by each who appears elsewhere but never
   under that genre. Trust is the confirmed share, pulled toward ½ by a prior of two listings
   (artists seen nowhere else neither confirm nor doubt). A genre that only one playlist
   carries cannot be confirmed, so its trust stays ½. Three rounds, each counting a confirming
   playlist by its own trust from the last, stop two mislabelled playlists vouching for each other.
2. **What a listing says.** A listing votes its playlist's label, except for the part that
   the playlist's doubt replaces: ``coverage × (1 − trust)``, where coverage is the share of
   the playlist's credits whose artists appear elsewhere. That part goes to what the
   neighbouring tracks' artists (``NEIGHBOURHOOD`` places either side on the same playlist)
   are on trusted playlists elsewhere; mixed playlists come in runs, so a Nigerian artist
   seen only on "Arab X" takes the genre of the Nigerian artists around it, not of the US
   rappers at the top. A playlist whose artists appear nowhere else keeps its label: there
   is nothing to correct it with.
3. **Artists.** Each listing of a track votes for each credited artist (the lead 1, others ½).
   Labels are (genre, subgenre) pairs, so a subgenre travels with the genre it was filed under.
4. **Co-credits.** An artist whose own evidence is thin (less than ``THIN_EVIDENCE``) or a close
   call (its top genre under ``CLOSE_CALL`` times the next) also takes half a vote per track
   it shares, split among the artists credited with it, from their genres. It settles artists
   seen once on a mixed playlist without letting a few collaborations outvote an artist's own
   record; and artists known only from a collaboration get a genre from it.
5. **The verdict.** The genre with the most weight; a tie goes to the genre with more listings
   in the catalog, then to the alphabet. The subgenre is the heaviest one under that genre.

A track's genre is its credited artists' (lead 1, others ½; a tie goes to the earlier credit),
its subgenre that of the first credited artist of that genre. The same evidence always gives
the same verdicts, so computing them again changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Pair = tuple[str, str]  # (genre, subgenre)
Dist = dict[Pair, float]

LEAD_WEIGHT = 1.0
FEATURED_WEIGHT = 0.5
CO_CREDIT_WEIGHT = 0.5
THIN_EVIDENCE = 2.0  # vote mass under which an artist also listens to its co-credits
CLOSE_CALL = 1.25  # top genre weight under this multiple of the next: a close call
TRUST_PRIOR = 2.0  # pseudo-listings at trust ½
TRUST_ROUNDS = 3
NEIGHBOURHOOD = 4  # places either side on a playlist whose artists say what a doubted label hides
RANKED_SHARE = 0.25  # an artist's genres list keeps genres with at least this share of the top one


@dataclass(frozen=True)
class Listing:
    """One track at one place on one labelled source (a catalog playlist, or a file's own label
    for a track on no playlist), with its credited artists in order."""

    source: str
    position: int
    track: int
    genre: str
    subgenre: str
    artists: tuple[int, ...]


@dataclass(frozen=True)
class GenreVerdict:
    genre: str
    subgenre: str
    ranked: tuple[str, ...] = ()  # the artist's genres, heaviest first; ``genre`` is the first


def credit_weight(position: int) -> float:
    return LEAD_WEIGHT if position == 0 else FEATURED_WEIGHT


def artist_genres(listings: Iterable[Listing]) -> dict[int, GenreVerdict]:
    """Artist key → its genre verdict, for every artist credited on a labelled listing."""
    listings = [item for item in listings if item.genre and item.artists]
    if not listings:
        return {}
    labels = {item.source: (item.genre, item.subgenre) for item in listings}
    prevalence = Counter(item.genre for item in listings)
    presence: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in listings:
        for position, artist in enumerate(item.artists):
            presence[artist][item.source] += credit_weight(position)

    verifiable = {genre for genre, count in Counter(g for g, _ in labels.values()).items() if count > 1}
    trust = dict.fromkeys(labels, 1.0)
    for _ in range(TRUST_ROUNDS):
        trust, coverage = _trust_round(presence, labels, trust, verifiable)
    doubt = {source: coverage[source] * (1 - trust[source]) for source in labels}

    votes: dict[int, Dist] = defaultdict(lambda: defaultdict(float))
    for item, said in zip(listings, _listings_say(listings, presence, labels, trust, doubt), strict=True):
        for position, artist in enumerate(item.artists):
            for pair, share in said.items():
                votes[artist][pair] += credit_weight(position) * share

    with_co_credits = {artist: dict(dist) for artist, dist in votes.items()}
    for credits in {item.track: item.artists for item in listings}.values():
        for artist in credits:
            others = [other for other in credits if other != artist]
            if others and _unsettled(votes[artist]):
                for other in others:
                    _add(with_co_credits[artist], _normalised(votes[other]), CO_CREDIT_WEIGHT / len(others))
    return {artist: _verdict(dist, prevalence) for artist, dist in with_co_credits.items()}


def co_credited_genres(
    credits: Iterable[Sequence[int]], known: Mapping[int, GenreVerdict]
) -> dict[int, GenreVerdict]:
    """Verdicts for artists with none of their own, from the verdicts of the artists credited with them."""
    dist: dict[int, Dist] = defaultdict(lambda: defaultdict(float))
    prevalence: Counter[str] = Counter()
    for artists in credits:
        for artist in artists:
            if artist in known and known[artist].genre:
                continue
            for other in artists:
                verdict = known.get(other)
                if other != artist and verdict is not None and verdict.genre:
                    dist[artist][(verdict.genre, verdict.subgenre)] += CO_CREDIT_WEIGHT / (len(artists) - 1)
                    prevalence[verdict.genre] += 1
    return {artist: _verdict(pairs, prevalence) for artist, pairs in dist.items()}


def track_genre(credits: Sequence[GenreVerdict | None]) -> Pair | None:
    """A track's genre and subgenre from its credited artists' verdicts, in credit order;
    None when none of them has a genre."""
    weights: dict[str, float] = defaultdict(float)
    first_seen: dict[str, int] = {}
    subgenres: dict[str, str] = {}
    for position, verdict in enumerate(credits):
        if verdict is None or not verdict.genre:
            continue
        weights[verdict.genre] += credit_weight(position)
        first_seen.setdefault(verdict.genre, position)
        subgenres.setdefault(verdict.genre, verdict.subgenre)
    if not weights:
        return None
    genre = min(weights, key=lambda g: (-weights[g], first_seen[g]))
    return genre, subgenres[genre]


def _trust_round(
    presence: Mapping[int, Mapping[str, float]],
    labels: Mapping[str, Pair],
    trust: Mapping[str, float],
    verifiable: set[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """Per source: its trust from this round's confirmations, and its coverage (the share of its
    credits whose artists appear on other sources)."""
    confirmed: dict[str, float] = defaultdict(float)
    informative: dict[str, float] = defaultdict(float)
    credited: dict[str, float] = defaultdict(float)
    for sources in presence.values():
        for source, weight in sources.items():
            credited[source] += weight
            others = [other for other in sources if other != source]
            if not others:
                continue
            informative[source] += weight
            genre = labels[source][0]
            confirmed[source] += weight * max(
                (trust[other] for other in others if labels[other][0] == genre), default=0.0
            )
    new_trust = {
        source: (confirmed[source] + TRUST_PRIOR * 0.5) / (informative[source] + TRUST_PRIOR)
        if labels[source][0] in verifiable
        else 0.5
        for source in labels
    }
    return new_trust, {source: informative[source] / credited[source] for source in labels}


def _listings_say(
    listings: Sequence[Listing],
    presence: Mapping[int, Mapping[str, float]],
    labels: Mapping[str, Pair],
    trust: Mapping[str, float],
    doubt: Mapping[str, float],
) -> list[Dist]:
    """What each listing votes: its label, less the doubted part, which goes to what the
    artists around it are on trusted sources elsewhere."""
    trusted: dict[int, Dist] = {}
    for artist, sources in presence.items():
        dist: Dist = defaultdict(float)
        for source, weight in sources.items():
            dist[labels[source]] += weight * trust[source]
        trusted[artist] = dist
    by_source: dict[str, list[Listing]] = defaultdict(list)
    for item in listings:
        by_source[item.source].append(item)
    for items in by_source.values():
        items.sort(key=lambda item: item.position)
    index = {id(item): i for items in by_source.values() for i, item in enumerate(items)}

    said = []
    for item in listings:
        label = labels[item.source]
        share = doubt[item.source]
        if share <= 0:
            said.append({label: 1.0})
            continue
        items = by_source[item.source]
        here = index[id(item)]
        around: Dist = defaultdict(float)
        for neighbour in items[max(0, here - NEIGHBOURHOOD) : here + NEIGHBOURHOOD + 1]:
            for position, artist in enumerate(neighbour.artists):
                elsewhere = dict(trusted[artist])
                elsewhere[label] = (
                    elsewhere.get(label, 0.0) - presence[artist][item.source] * trust[item.source]
                )
                mass = sum(value for value in elsewhere.values() if value > 1e-12)
                if mass > 1e-12:
                    confidence = mass / (mass + 1.0)
                    weight = credit_weight(position) * confidence / mass
                    for pair, value in elsewhere.items():
                        if value > 1e-12:
                            around[pair] += weight * value
        around = _normalised(around)
        if not around:
            said.append({label: 1.0})
            continue
        mixed: Dist = {pair: share * value for pair, value in around.items()}
        mixed[label] = mixed.get(label, 0.0) + 1 - share
        said.append(mixed)
    return said


def _unsettled(dist: Mapping[Pair, float]) -> bool:
    """Thin evidence, or a close call between the top two genres."""
    by_genre = sorted(_genre_totals(dist).values(), reverse=True)
    if sum(by_genre) < THIN_EVIDENCE:
        return True
    return len(by_genre) > 1 and by_genre[0] < CLOSE_CALL * by_genre[1]


def _genre_totals(dist: Mapping[Pair, float]) -> dict[str, float]:
    by_genre: dict[str, float] = defaultdict(float)
    for (genre, _subgenre), value in dist.items():
        by_genre[genre] += value
    return by_genre


def _add(into: Dist, dist: Mapping[Pair, float], weight: float) -> None:
    for pair, value in dist.items():
        into[pair] = into.get(pair, 0.0) + weight * value


def _normalised(dist: Mapping[Pair, float]) -> Dist:
    total = sum(dist.values())
    return {pair: value / total for pair, value in dist.items()} if total > 0 else {}


def _verdict(dist: Mapping[Pair, float], prevalence: Mapping[str, int]) -> GenreVerdict:
    by_genre = _genre_totals(dist)
    if not by_genre:
        return GenreVerdict("", "")
    ranked = sorted(by_genre, key=lambda g: (-round(by_genre[g], 9), -prevalence.get(g, 0), g))
    genre = ranked[0]
    subgenre = min(
        (pair for pair in dist if pair[0] == genre), key=lambda pair: (-round(dist[pair], 9), pair[1])
    )[1]
    kept = tuple(g for g in ranked if by_genre[g] >= RANKED_SHARE * by_genre[genre])
    return GenreVerdict(genre, subgenre, kept)
