"""What ``spotify.client`` hands back: small frozen records, and their parsers from Spotify's JSON.

The parsers are tolerant: development-mode apps get fewer fields every year (popularity,
followers and genres are gone; country and product need scopes), so anything optional may be
missing and becomes ``None``, ``""`` or ``False`` — except a track's ``explicit``, which is
None when not a boolean: "not said" must never read as "clean". Entries without a usable track (local files,
unavailable or removed tracks, podcast episodes) are skipped rather than failing a whole sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Json = Mapping[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CARD_IMAGE_PX = 300  # Spotify serves covers at 640, 300 and 64 px; cards show them at most this wide


@dataclass(frozen=True)
class SpotifyUser:
    id: str
    display_name: str
    email: str | None
    country: str | None
    product: str | None


@dataclass(frozen=True)
class ArtistInfo:
    id: str
    name: str


@dataclass(frozen=True)
class AlbumInfo:
    id: str
    name: str
    release_date: str | None  # "2020", "2020-05" or "2020-05-17", as precise as Spotify knows
    image_url: str | None  # the largest cover
    artists: tuple[ArtistInfo, ...]
    card_image_url: str | None = None  # the smallest at least CARD_IMAGE_PX wide, else the largest

    @property
    def cover_url(self) -> str:
        """The cover to show on cards and lists, "" when Spotify has none."""
        return self.card_image_url or self.image_url or ""


@dataclass(frozen=True)
class TrackInfo:
    id: str
    name: str
    artists: tuple[ArtistInfo, ...]
    album: AlbumInfo | None
    duration_ms: int
    explicit: bool | None  # None when Spotify's answer lacks the flag
    isrc: str  # "" when Spotify does not say
    uri: str


@dataclass(frozen=True)
class PlayedItem:
    track: TrackInfo
    played_at: datetime  # aware, UTC


@dataclass(frozen=True)
class RecentlyPlayed:
    """Plays newest first, and the ``after`` cursor (Unix ms) to ask from next time."""

    items: list[PlayedItem]
    after_cursor: int | None


@dataclass(frozen=True)
class PlaylistSummary:
    id: str
    name: str
    description: str
    owner_id: str
    public: bool | None  # Spotify leaves it null for some playlists
    total_items: int
    snapshot_id: str


def user_from_json(data: Json) -> SpotifyUser:
    return SpotifyUser(
        id=data["id"],
        display_name=data.get("display_name") or data["id"],
        email=data.get("email") or None,
        country=data.get("country") or None,
        product=data.get("product") or None,
    )


def artist_from_json(data: Json) -> ArtistInfo | None:
    """None for a local file's artist, which has no id."""
    if not data.get("id"):
        return None
    return ArtistInfo(id=data["id"], name=data.get("name") or "")


def artists_from_json(items: Iterable[Json] | None) -> tuple[ArtistInfo, ...]:
    return tuple(a for a in (artist_from_json(item) for item in items or ()) if a is not None)


def album_from_json(data: Json | None) -> AlbumInfo | None:
    if not data or not data.get("id"):
        return None
    images = sorted(data.get("images") or [], key=lambda image: image.get("width") or 0, reverse=True)
    big_enough = [image for image in images if (image.get("width") or 0) >= CARD_IMAGE_PX]
    card = big_enough[-1] if big_enough else images[0] if images else None
    return AlbumInfo(
        id=data["id"],
        name=data.get("name") or "",
        release_date=data.get("release_date") or None,
        image_url=images[0].get("url") if images else None,
        artists=artists_from_json(data.get("artists")),
        card_image_url=card.get("url") if card else None,
    )


def track_from_json(data: Json | None, album: AlbumInfo | None = None) -> TrackInfo | None:
    """A full or simplified track; ``album`` fills in what a simplified one lacks.

    None for what is not a playable catalog track: null, local files, episodes.
    """
    if not data or not data.get("id") or data.get("is_local") or data.get("type", "track") != "track":
        return None
    external_ids = data.get("external_ids") or {}
    return TrackInfo(
        id=data["id"],
        name=data.get("name") or "",
        artists=artists_from_json(data.get("artists")),
        album=album_from_json(data.get("album")) or album,
        duration_ms=int(data.get("duration_ms") or 0),
        explicit=data["explicit"] if isinstance(data.get("explicit"), bool) else None,
        isrc=external_ids.get("isrc") or "",
        uri=data.get("uri") or f"spotify:track:{data['id']}",
    )


def tracks_from_json(items: Iterable[Json | None], album: AlbumInfo | None = None) -> list[TrackInfo]:
    return [t for t in (track_from_json(item, album) for item in items) if t is not None]


def playlist_entry_track(entry: Json | None) -> TrackInfo | None:
    """A playlist entry's track: under ``item`` since 2026, ``track`` before (still sent)."""
    if not entry or entry.get("is_local"):
        return None
    return track_from_json(entry.get("item") or entry.get("track"))


def played_item_from_json(data: Json) -> PlayedItem | None:
    track = track_from_json(data.get("track"))
    if track is None or not data.get("played_at"):
        return None
    return PlayedItem(track=track, played_at=played_at_parse(data["played_at"]))


def played_at_parse(text: str) -> datetime:
    """Spotify's ``2026-11-22T23:00:00.000Z`` as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def unix_ms(moment: datetime) -> int:
    """Exact milliseconds (no float rounding), the unit of recently-played cursors."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def playlist_from_json(data: Json) -> PlaylistSummary:
    # The item count sits under "items" since 2026 and "tracks" before; either may be the
    # {href, total} summary or a full first page.
    items = data.get("items") or data.get("tracks") or {}
    owner = data.get("owner") or {}
    return PlaylistSummary(
        id=data["id"],
        name=data.get("name") or "",
        description=data.get("description") or "",
        owner_id=owner.get("id") or "",
        public=data.get("public"),
        total_items=int(items.get("total") or 0) if isinstance(items, Mapping) else 0,
        snapshot_id=data.get("snapshot_id") or "",
    )
