"""Finding a download's tracks and artists in our catalog, a batch at a time.

A track is matched by its Spotify id (extended history, the library and playlists carry it),
else by its title and artist once case, punctuation and "(Remastered)" / "- Live"-style notes
are gone (account data has names only). Tracks we do not hold are counted, not created: a
download names a track's artists but never their Spotify ids, and a catalog artist without
one would split in two once Spotify names them.

Each batch costs at most one query per way of matching, and answers are remembered for the
rest of the import, so a listener's thousand plays of one song cost one look-up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from catalog.bulk import pks_by_spotify_id
from catalog.models import Artist, Track, TrackArtist

_SUFFIX = re.compile(r"\s+-\s+[^-]*(remaster|live|version|edit|mix|mono|stereo|demo|acoustic)[^-]*$", re.I)
_NOTES = re.compile(r"\s*[\(\[][^)\]]*(remaster|live|version|edit|feat\.?|with )[^)\]]*[\)\]]", re.I)
_NOT_WORD = re.compile(r"[^\w']+")
MEMORY = 200_000  # answers kept per kind before starting afresh (bounded memory on huge imports)


def display_title(title: str) -> str:
    """The title without "- Remastered 2009" or "(Live)"-style notes, as a catalog may name it."""
    return _NOTES.sub("", _SUFFIX.sub("", title)).strip()


def name_key(name: str) -> str:
    """What two spellings of one name share: no notes, case, accents' forms or punctuation."""
    folded = unicodedata.normalize("NFKC", display_title(name)).casefold().replace("’", "'")
    return _NOT_WORD.sub(" ", folded).strip()


class CatalogMatcher:
    """Track and artist look-ups for one import, remembering every answer (found or not)."""

    def __init__(self) -> None:
        self._by_id: dict[str, int | None] = {}
        self._by_names: dict[tuple[str, str], int | None] = {}  # (title, artist) as the file spells them
        self._artist_by_id: dict[str, int | None] = {}
        self._artist_by_name: dict[str, int | None] = {}

    def tracks(self, wanted: Sequence[tuple[str, str, str]]) -> list[int | None]:
        """(Spotify id or "", title, artist) → our track pk or None, in the order given."""
        _forget_if_full(self._by_id, self._by_names)
        new_ids = {track_id for track_id, _, _ in wanted if track_id and track_id not in self._by_id}
        if new_ids:
            found = pks_by_spotify_id(Track, new_ids)
            self._by_id.update({track_id: found.get(track_id) for track_id in new_ids})
        unknown = {
            (title, artist)
            for track_id, title, artist in wanted
            if self._by_id.get(track_id) is None and (title, artist) not in self._by_names
        }
        if unknown:
            keys = {names: (name_key(names[0]), name_key(names[1])) for names in unknown}
            found_keys = _tracks_by_name({names: key for names, key in keys.items() if all(key)})
            self._by_names.update({names: found_keys.get(key) for names, key in keys.items()})
        return [
            self._by_id.get(track_id) or self._by_names.get((title, artist))
            for track_id, title, artist in wanted
        ]

    def artists(self, wanted: Sequence[tuple[str, str]]) -> list[int | None]:
        """(Spotify id or "", name) → our artist pk or None, in the order given."""
        _forget_if_full(self._artist_by_id, self._artist_by_name)
        new_ids = {artist_id for artist_id, _ in wanted if artist_id and artist_id not in self._artist_by_id}
        if new_ids:
            found = pks_by_spotify_id(Artist, new_ids)
            self._artist_by_id.update({artist_id: found.get(artist_id) for artist_id in new_ids})
        unknown = {
            name
            for artist_id, name in wanted
            if self._artist_by_id.get(artist_id) is None and name not in self._artist_by_name
        }
        if unknown:
            found_keys = _artists_by_name(unknown)
            self._artist_by_name.update({name: found_keys.get(name_key(name)) for name in unknown})
        return [
            self._artist_by_id.get(artist_id) or self._artist_by_name.get(name) for artist_id, name in wanted
        ]


def _forget_if_full(*memories: dict) -> None:
    for memory in memories:
        if len(memory) > MEMORY:
            memory.clear()


def _tracks_by_name(wanted: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(title key, artist key) → the most popular catalog track with that title by that artist,
    for ``wanted``: (title, artist) as spelled → their keys."""
    titles = {title for title, _ in wanted} | {display_title(title) for title, _ in wanted}
    keys = set(wanted.values())
    rows = Track.objects.filter(name__in=titles).values_list("pk", "name", "popularity")
    tracks = {pk: (name_key(name), popularity or 0) for pk, name, popularity in rows}
    best: dict[tuple[str, str], tuple[int, int]] = {}
    credits = TrackArtist.objects.filter(track_id__in=tracks).values_list("track_id", "artist__name")
    for track_id, artist_name in credits:
        title_key, popularity = tracks[track_id]
        key = (title_key, name_key(artist_name))
        if key in keys and (key not in best or (popularity, -track_id) > (best[key][1], -best[key][0])):
            best[key] = (track_id, popularity)
    return {key: track_id for key, (track_id, _) in best.items()}


def _artists_by_name(names: Iterable[str]) -> dict[str, int]:
    """Name key → the first catalog artist of that name (exact spelling first looked up)."""
    found: dict[str, int] = {}
    for pk, name in Artist.objects.filter(name__in=set(names)).order_by("pk").values_list("pk", "name"):
        found.setdefault(name_key(name), pk)
    return found
