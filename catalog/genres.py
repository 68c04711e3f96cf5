"""Our catalog's genres (the source playlists' genres and subgenres), what people call them, and what
a genre word covers.

Listeners' words map onto the labels the catalog carries (``genre_named``: "rap" → "hip-hop",
"edm" → "electronic"). A stored genre taste then covers tracks by ``genre_scope``: by default
the tracks filed under it as genre or as subgenre, and for the families below more than that —
"no more rap" also leaves out trap, drill, grime and gangster rap filed under other genres
("latin · trap"), but not lofi beats ("lofi · hip-hop" has no rapping).
"""

from __future__ import annotations

ANY = "*"

GENRE_ALIASES: dict[str, str] = {
    "hip hop": "hip-hop",
    "hiphop": "hip-hop",
    "hip-hop": "hip-hop",
    "rap": "hip-hop",
    "rap music": "hip-hop",
    "trap": "trap",
    "drill": "drill",
    "uk drill": "drill",
    "gangsta rap": "gangster",
    "gangster rap": "gangster",
    "melodic rap": "melodic",
    "grime": "grime",
    "r&b": "r&b",
    "rnb": "r&b",
    "r and b": "r&b",
    "rhythm and blues": "r&b",
    "k-pop": "k-pop",
    "kpop": "k-pop",
    "j-pop": "j-pop",
    "jpop": "j-pop",
    "lo-fi": "lofi",
    "lofi": "lofi",
    "lo fi": "lofi",
    "edm": "electronic",
    "electronica": "electronic",
    "electro": "electronic",
    "electronic music": "electronic",
    "dance music": "electronic",
    "techno": "techno",
    "house": "deep house",
    "deep house": "deep house",
    "afro house": "afro house",
    "tropical house": "tropical",
    "future bass": "future bass",
    "hardstyle": "hardstyle",
    "synthwave": "retro",
    "classical": "classical",
    "orchestral": "classical",
    "heavy metal": "metal",
    "death metal": "metal",
    "punk rock": "punk",
    "alternative rock": "alternative",
    "alt rock": "alternative",
    "indie rock": "indie",
    "reggaeton": "reggaeton",
    "afrobeat": "afrobeats",
    "afrobeats": "afrobeats",
    "afro beats": "afrobeats",
    "amapiano": "amapiano",
    "gqom": "gqom",
    "bhangra": "bhangra",
    "forro": "forró",
    "forró": "forró",
    "pop punk": "pop punk",
    "post-rock": "post-rock",
    "post rock": "post-rock",
    "soundtrack": "soundtracks",
    "soundtracks": "soundtracks",
    "film music": "soundtracks",
    "samba": "samba",
    "tango": "tango",
    "cumbia": "cumbia",
    "vaporwave": "vaporwave",
    "bollywood": "bollywood",
    "anime": "anime",
    "gospel": "gospel",
}
PLAIN_GENRES = (
    "afrobeats",
    "ambient",
    "arabic",
    "blues",
    "brazilian",
    "cantopop",
    "country",
    "disco",
    "electronic",
    "folk",
    "funk",
    "gaming",
    "indian",
    "indie",
    "jazz",
    "korean",
    "latin",
    "mandopop",
    "metal",
    "pop",
    "punk",
    "reggae",
    "rock",
    "soca",
    "soul",
    "turkish",
    "wellness",
    "world",
)
for _genre in PLAIN_GENRES:
    GENRE_ALIASES.setdefault(_genre, _genre)


# (genre, subgenre) patterns a genre taste covers beyond its own name; ANY matches every value.
GENRE_SCOPES: dict[str, tuple[tuple[str, str], ...]] = {
    "hip-hop": (
        ("hip-hop", ANY),
        (ANY, "trap"),
        (ANY, "drill"),
        (ANY, "grime"),
        (ANY, "gangster"),
        ("latin", "hip-hop"),
    ),
}


def genre_named(word: str) -> str:
    """The catalog genre a word means ("rap" → "hip-hop"), or the word itself, lowercased."""
    word = word.strip().lower()
    return GENRE_ALIASES.get(word, word)


def genre_scope(value: str) -> tuple[tuple[str, str], ...]:
    """The (genre, subgenre) patterns a stored genre taste covers: the family's, or by default
    tracks filed under the value as genre or as subgenre."""
    value = value.strip().lower()
    return GENRE_SCOPES.get(value, ((value, ANY), (ANY, value)))


def genre_matches(value: str, genre: str, subgenre: str) -> bool:
    """Whether a track filed as (genre, subgenre) falls under the genre taste ``value``."""
    if not value.strip():
        return False
    genre, subgenre = genre.lower(), subgenre.lower()
    return any((g in (ANY, genre)) and (s in (ANY, subgenre)) for g, s in genre_scope(value))


def genre_scope_rows() -> tuple[list[str], list[str], list[str]]:
    """Every family's patterns as three aligned columns (value, genre, subgenre), for SQL's unnest."""
    rows = [(value, g, s) for value, patterns in GENRE_SCOPES.items() for g, s in patterns]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
