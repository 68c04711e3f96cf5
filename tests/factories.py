"""Test data built with factory_boy: listeners, music, and a tiny catalog that spans the mood space.

Each factory makes a valid row with nothing said; a test names only what it is about
(``TrackFactory(name="Rainy Window", valence=0.12, artists=[vale])``). Spotify ids are
derived from a sequence, so they are unique and 22 characters like real ones.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from catalog.models import Album, Artist, Playlist, PlaylistItem, Track, TrackArtist
from chat.models import Conversation, Message
from recommender.models import (
    Candidate,
    Feedback,
    ListenerSettings,
    RankingWeights,
    ServedItem,
    ServedList,
    TastePreference,
)
from spotify.models import FollowedArtist, LibrarySync, Play, TimeRange, TopArtist, TopTrack

DEFAULT_PASSWORD = "correct horse battery"


def spotify_id(kind: str, key: object) -> str:
    """22 characters, stable for the same kind and key, as a Spotify id looks."""
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:22]


class UserFactory(DjangoModelFactory[User]):
    """A listener; ``admin=True`` makes a superuser who can use the admin."""

    class Meta:
        model = User
        django_get_or_create = ("email",)

    class Params:
        admin = factory.Trait(is_staff=True, is_superuser=True)

    email = factory.Sequence(lambda n: f"listener{n}@example.com")
    display_name = ""
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        """Through the manager, so the password is hashed as a real signup's is."""
        return model_class.objects.create_user(*args, **kwargs)  # type: ignore[arg-type]


class ArtistFactory(DjangoModelFactory[Artist]):
    class Meta:
        model = Artist
        django_get_or_create = ("spotify_id",)

    name = factory.Sequence(lambda n: f"Artist {n}")
    spotify_id = factory.LazyAttribute(lambda artist: spotify_id("artist", artist.name))


class AlbumFactory(DjangoModelFactory[Album]):
    class Meta:
        model = Album
        django_get_or_create = ("spotify_id",)

    name = factory.Sequence(lambda n: f"Album {n}")
    spotify_id = factory.LazyAttribute(lambda album: spotify_id("album", album.name))


class TrackFactory(DjangoModelFactory[Track]):
    """A track; ``artists=[...]`` links them in that order (default: one new artist)."""

    class Meta:
        model = Track
        skip_postgeneration_save = True  # the hooks write links, not the track

    name = factory.Sequence(lambda n: f"Track {n}")
    spotify_id = factory.LazyAttribute(lambda track: spotify_id("track", track.name))
    album = factory.SubFactory(AlbumFactory)
    duration_ms = 180_000

    @factory.post_generation
    def artists(track: Track, create: bool, extracted: list[Artist] | None, **kwargs: object) -> None:
        if not create:
            return
        for position, artist in enumerate(extracted if extracted is not None else [ArtistFactory.create()]):
            TrackArtist.objects.create(track=track, artist=artist, position=position)


class TrackArtistFactory(DjangoModelFactory[TrackArtist]):
    """One more artist credited on a track (``TrackFactory(artists=[...])`` credits the first ones)."""

    class Meta:
        model = TrackArtist

    track = factory.SubFactory(TrackFactory, artists=[])
    artist = factory.SubFactory(ArtistFactory)
    position = 0


class PlaylistFactory(DjangoModelFactory[Playlist]):
    """A playlist (``owner`` None: a catalog playlist); ``tracks=[...]`` become its items in order."""

    class Meta:
        model = Playlist
        skip_postgeneration_save = True  # the hook writes items, not the playlist

    name = factory.Sequence(lambda n: f"Playlist {n}")
    spotify_id = factory.LazyAttribute(lambda playlist: spotify_id("playlist", playlist.name))
    owner = None

    @factory.post_generation
    def tracks(playlist: Playlist, create: bool, extracted: list[Track] | None, **kwargs: object) -> None:
        if create and extracted:
            PlaylistItem.objects.bulk_create(
                PlaylistItem(playlist=playlist, track=track, position=index)
                for index, track in enumerate(extracted)
            )


class PlayFactory(DjangoModelFactory[Play]):
    class Meta:
        model = Play

    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    played_at = factory.Sequence(lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n))


class TopTrackFactory(DjangoModelFactory[TopTrack]):
    class Meta:
        model = TopTrack

    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    time_range = TimeRange.MEDIUM
    rank = factory.Sequence(lambda n: n + 1)


class TopArtistFactory(DjangoModelFactory[TopArtist]):
    class Meta:
        model = TopArtist

    user = factory.SubFactory(UserFactory)
    artist = factory.SubFactory(ArtistFactory)
    time_range = TimeRange.MEDIUM
    rank = factory.Sequence(lambda n: n + 1)


class FollowedArtistFactory(DjangoModelFactory[FollowedArtist]):
    class Meta:
        model = FollowedArtist

    user = factory.SubFactory(UserFactory)
    artist = factory.SubFactory(ArtistFactory)


class CandidateFactory(DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    sources = factory.LazyFunction(lambda: ["artists"])
    weight = 0.5
    fetched_at = factory.LazyFunction(lambda: datetime(2026, 11, 1, tzinfo=UTC))


class TastePreferenceFactory(DjangoModelFactory[TastePreference]):
    class Meta:
        model = TastePreference

    user = factory.SubFactory(UserFactory)
    kind = TastePreference.Kind.GENRE
    value = "pop"
    label = factory.LazyAttribute(lambda taste: taste.value)
    liked = True
    source = "settings"


class FeedbackFactory(DjangoModelFactory[Feedback]):
    class Meta:
        model = Feedback

    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    kind = Feedback.Kind.LIKE


class RankingWeightsFactory(DjangoModelFactory[RankingWeights]):
    """The ranker's tuning as an admin saves it; the newest row is in force."""

    class Meta:
        model = RankingWeights


class ListenerSettingsFactory(DjangoModelFactory[ListenerSettings]):
    class Meta:
        model = ListenerSettings

    user = factory.SubFactory(UserFactory)


class ServedListFactory(DjangoModelFactory[ServedList]):
    class Meta:
        model = ServedList

    user = factory.SubFactory(UserFactory)
    mood_label = "joy"
    valence = 0.5
    arousal = 0.5


class ServedItemFactory(DjangoModelFactory[ServedItem]):
    class Meta:
        model = ServedItem

    served = factory.SubFactory(ServedListFactory)
    track = factory.SubFactory(TrackFactory)
    position = factory.Sequence(lambda n: n)
    score = 1.0
    explanation = ""


class LibrarySyncFactory(DjangoModelFactory[LibrarySync]):
    class Meta:
        model = LibrarySync

    user = factory.SubFactory(UserFactory)


class ConversationFactory(DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)


class MessageFactory(DjangoModelFactory[Message]):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Message.Role.USER
    text = factory.Sequence(lambda n: f"Message {n}")


# (name, artist, genre, valence, energy, tempo, acousticness) spanning the mood space.
SMALL_CATALOG = [
    ("Rainy Window", "Nora Vale", "indie", 0.12, 0.20, 72, 0.90),
    ("Quiet Harbour", "Nora Vale", "indie", 0.18, 0.25, 80, 0.85),
    ("Grey Morning", "Elm & Ash", "folk", 0.15, 0.18, 68, 0.95),
    ("Paper Boats", "Elm & Ash", "folk", 0.22, 0.30, 90, 0.80),
    ("Slow Tide", "Luma", "ambient", 0.20, 0.10, 60, 0.70),
    ("Empty Rooms", "Luma", "ambient", 0.10, 0.15, 64, 0.75),
    ("Lonely Avenue", "The Hollows", "blues", 0.14, 0.35, 76, 0.60),
    ("Winter Letters", "Mara Quinn", "acoustic", 0.16, 0.22, 70, 0.92),
    ("Sunburst", "Solar Kids", "pop", 0.92, 0.85, 124, 0.10),
    ("Golden Hour Party", "Solar Kids", "pop", 0.88, 0.90, 128, 0.05),
    ("Jump Around Town", "Bright Lines", "dance", 0.90, 0.95, 126, 0.03),
    ("Happy Feet", "Bright Lines", "dance", 0.95, 0.88, 120, 0.08),
    ("Summer Crush", "Coral", "pop", 0.85, 0.75, 116, 0.20),
    ("Neon Smiles", "Coral", "electronic", 0.80, 0.92, 130, 0.02),
    ("Riot Engine", "Iron Vow", "metal", 0.30, 0.98, 170, 0.01),
    ("Burn It Down", "Iron Vow", "metal", 0.25, 0.96, 165, 0.01),
    ("Fist Up", "Street Prophets", "hip-hop", 0.45, 0.85, 95, 0.05),
    ("Concrete Kings", "Street Prophets", "hip-hop", 0.50, 0.80, 92, 0.08),
    ("Lo-fi Study Loop", "Desk Plant", "lofi", 0.55, 0.25, 82, 0.65),
    ("Tea at Dawn", "Desk Plant", "lofi", 0.60, 0.20, 78, 0.70),
    ("Moonlit Sonata", "Clara Wieck Ensemble", "classical", 0.35, 0.12, 66, 0.99),
    ("Blue Note Evening", "Sam Tate Trio", "jazz", 0.50, 0.30, 88, 0.85),
    ("Road Trip", "Highway Sun", "rock", 0.75, 0.80, 132, 0.15),
    ("Backyard Barbecue", "Highway Sun", "country", 0.80, 0.65, 110, 0.45),
]


INSTRUMENTAL_GENRES = {"ambient", "classical", "lofi"}


def make_small_catalog() -> list[Track]:
    """SMALL_CATALOG as real rows (ids deterministic from names), one album per artist."""
    tracks = []
    for index, (name, artist_name, genre, valence, energy, tempo, acoustic) in enumerate(SMALL_CATALOG):
        artist = ArtistFactory.create(name=artist_name)
        tracks.append(
            TrackFactory.create(
                name=name,
                album=AlbumFactory.create(
                    name=f"{artist_name} LP", spotify_id=spotify_id("album", artist_name)
                ),
                artists=[artist],
                duration_ms=180_000 + index * 1000,
                popularity=50 + index,
                genre=genre,
                subgenre=genre,
                valence=valence,
                energy=energy,
                tempo=tempo,
                acousticness=acoustic,
                danceability=0.5,
                # As real catalogs have them: instrumental genres, and quiet tracks mastered quieter.
                instrumentalness=0.85 if genre in INSTRUMENTAL_GENRES else 0.05,
                speechiness=0.05,
                liveness=0.1,
                loudness=round(-4.0 - 20.0 * (1 - energy) ** 2, 1),
                mode=1,
            )
        )
    return tracks


def catalog_slice_ids(user: User, *, per_genre: int) -> set[int]:
    """The ``per_genre`` most popular tracks of each catalog genre plus everything ``user`` played
    or has among their top tracks: a small catalog that still covers every genre and their history."""
    ids: set[int] = set()
    for genre in Track.objects.order_by().values_list("genre", flat=True).distinct():
        ids |= set(
            Track.objects.filter(genre=genre)
            .order_by("-popularity", "id")
            .values_list("id", flat=True)[:per_genre]
        )
    ids |= set(Play.objects.filter(user=user).values_list("track_id", flat=True))
    ids |= set(TopTrack.objects.filter(user=user).values_list("track_id", flat=True))
    return ids
