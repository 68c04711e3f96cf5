"""The catalog as plain records: what an import, the demo file or Spotify says a track is.

``catalog.services.catalog_save`` writes these; nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

# Audio features, as the Kaggle CSVs and the demo file carry them (Spotify no longer serves them).
TRACK_FEATURES = (
    "valence",
    "energy",
    "danceability",
    "tempo",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "loudness",
    "mode",
    "key",
)


@dataclass(frozen=True)
class CatalogArtist:
    spotify_id: str
    name: str


@dataclass(frozen=True)
class CatalogAlbum:
    spotify_id: str
    name: str
    release_date: str
    artists: tuple[CatalogArtist, ...] = ()


@dataclass(frozen=True)
class CatalogTrack:
    spotify_id: str
    name: str
    album: CatalogAlbum | None
    artists: tuple[CatalogArtist, ...]
    duration_ms: int
    popularity: int | None
    genre: str
    subgenre: str
    features: Mapping[str, float | int | None] = field(default_factory=dict)
    explicit: bool | None = None  # what the source says; None when it does not
    isrc: str = ""  # "" when the source does not say


@dataclass(frozen=True)
class CatalogPlaylist:
    spotify_id: str
    name: str
    genre: str
    subgenre: str
    track_ids: tuple[str, ...]

    @property
    def description(self) -> str:
        return " · ".join(part for part in (self.genre, self.subgenre) if part)


@dataclass
class Catalog:
    tracks: list[CatalogTrack]
    playlists: list[CatalogPlaylist]


@dataclass(frozen=True)
class SkippedRow:
    row_number: int  # 1-based among the data rows given
    reason: str


@dataclass
class DerivedRefresh:
    """What recomputing the derived fields changed: artists' consensus genres, tracks' genres
    and explicit estimates."""

    artists: int = 0
    track_pks: list[int] = field(default_factory=list)  # tracks whose genre or estimate changed
    estimated_explicit: int = 0  # tracks in the refresh's scope our estimate calls explicit

    def summary(self) -> str:
        if not self.artists and not self.track_pks:
            return ""
        return f"genres and explicit estimates: {self.artists} artists, {len(self.track_pks)} tracks changed"


@dataclass
class ImportResult:
    tracks: int = 0
    tracks_created: int = 0
    tracks_changed: int = 0  # inserted or updated; 0 when the same data is imported again
    artists: int = 0
    albums: int = 0
    playlists: int = 0
    playlists_changed: int = 0  # playlists whose row or ordered items were rewritten
    playlist_items: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    track_ids: list[str] = field(default_factory=list)  # Spotify ids, in catalog order
    track_pks: list[int] = field(default_factory=list)  # our primary keys, same order (tasks take these)
    derived: DerivedRefresh = field(default_factory=DerivedRefresh)

    @property
    def changed_pks(self) -> list[int]:
        """The tracks written and those elsewhere whose genre or estimate this write changed:
        what the recommender must re-profile."""
        return list(dict.fromkeys([*self.track_pks, *self.derived.track_pks]))

    def summary(self) -> str:
        text = (
            f"{self.tracks} tracks ({self.tracks_created} new, {self.tracks_changed} changed), "
            f"{self.artists} artists, {self.albums} albums, {self.playlists} playlists "
            f"({self.playlist_items} items, {self.playlists_changed} changed)"
        )
        if self.skipped:
            reasons = Counter(skip.reason for skip in self.skipped)
            detail = ", ".join(f"{reason}: {count}" for reason, count in reasons.most_common())
            text += f"; skipped {len(self.skipped)} rows ({detail})"
        if self.derived.summary():
            text += f"; {self.derived.summary()}"
        return text
