"""Shared test data: a tiny catalog that spans the mood space."""

from __future__ import annotations

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


def make_small_catalog() -> list:
    """Create SMALL_CATALOG as real rows (ids deterministic from names) and return the tracks."""
    import hashlib

    from catalog.models import Album, Artist, Track, TrackArtist

    def sid(kind: str, name: str) -> str:
        return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:22]

    tracks = []
    for index, (name, artist_name, genre, valence, energy, tempo, acoustic) in enumerate(SMALL_CATALOG):
        artist, _ = Artist.objects.get_or_create(
            spotify_id=sid("artist", artist_name), defaults={"name": artist_name}
        )
        album, _ = Album.objects.get_or_create(
            spotify_id=sid("album", artist_name), defaults={"name": f"{artist_name} LP"}
        )
        track = Track.objects.create(
            spotify_id=sid("track", name),
            name=name,
            album=album,
            duration_ms=180_000 + index * 1000,
            popularity=50 + index,
            genre=genre,
            subgenre=genre,
            valence=valence,
            energy=energy,
            tempo=tempo,
            acousticness=acoustic,
            danceability=0.5,
            instrumentalness=0.1,
            speechiness=0.05,
            liveness=0.1,
            loudness=-8.0,
            mode=1,
        )
        TrackArtist.objects.create(track=track, artist=artist, position=0)
        tracks.append(track)
    return tracks
