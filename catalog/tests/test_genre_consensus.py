"""Genre by artist consensus (pure): mislabelled playlists, one-off artists, co-credits, ties."""

from __future__ import annotations

from catalog.genre_consensus import GenreVerdict, Listing, artist_genres, co_credited_genres, track_genre

# Artists, as the catalog's pks.
LIL, METRO, SAVAGE = 1, 2, 3  # US rappers
WIZ, BURNA, SEYI, MOHBAD = 11, 12, 13, 14  # Nigerian afrobeats; Mohbad only ever on "Arab X"
OUD, NAY = 21, 22  # Arabic music, only on the Arabic playlists
DRONE, TIDE = 41, 42  # ambient music, only on an ambient playlist
DUGG = 31  # seen once, on "Arab X", featured with Lil Baby


class Playlists:
    """Builds listings playlist by playlist; each track gets a fresh id."""

    def __init__(self) -> None:
        self.listings: list[Listing] = []
        self.next_track = 1000

    def add(self, name: str, genre: str, subgenre: str, *credits: tuple[int, ...]) -> None:
        for position, artists in enumerate(credits):
            self.next_track += 1
            self.listings.append(Listing(name, position, self.next_track, genre, subgenre, artists))


def mislabelled_world() -> list[Listing]:
    """The shape of the Kaggle data: "Arab X" holds US trap, then a run of Nigerian afrobeats."""
    world = Playlists()
    world.add("Gangster Rap", "hip-hop", "gangster", (LIL,), (METRO,), (SAVAGE,), (LIL,), (METRO, SAVAGE))
    world.add("Trap", "hip-hop", "trap", (LIL,), (SAVAGE,), (METRO,))
    world.add("Afro Hits", "afrobeats", "nigerian", (WIZ,), (BURNA,), (SEYI,))
    world.add("African Heat", "afrobeats", "african", (WIZ,), (BURNA,), (SEYI,))
    world.add(
        "Arab X",
        "arabic",
        "modern",
        *[(LIL,)] * 5,
        (METRO,),
        (SAVAGE,),
        (LIL, DUGG),
        *[(SEYI,), (MOHBAD,), (WIZ,), (MOHBAD,), (BURNA,), (SEYI,), (MOHBAD,), (WIZ,)],
    )
    world.add("Meditative Vibes", "ambient", "meditative", *[(WIZ,), (BURNA,), (SEYI,)] * 3)
    world.add("Middle Eastern Beats", "arabic", "modern", (OUD,), (NAY,), (OUD,))
    world.add("Middle Eastern Chill", "arabic", "chill", (NAY,), (OUD,))
    world.add("Ambient Chill", "ambient", "chill", (DRONE,), (TIDE,))
    return world.listings


def test_it_files_artists_under_the_genre_their_other_playlists_confirm() -> None:
    verdicts = artist_genres(mislabelled_world())

    assert verdicts[LIL].genre == "hip-hop"  # more listings on "Arab X" than on rap playlists
    assert verdicts[METRO].genre == "hip-hop"
    assert verdicts[WIZ].genre == "afrobeats"  # most listings on "Meditative Vibes"
    assert verdicts[BURNA].genre == verdicts[SEYI].genre == "afrobeats"


def test_an_artist_seen_only_on_a_mixed_playlist_takes_the_genre_of_the_tracks_around_it() -> None:
    verdicts = artist_genres(mislabelled_world())

    assert verdicts[MOHBAD].genre == "afrobeats"  # among the Nigerian run, not the US rappers


def test_a_one_off_artist_takes_the_genre_of_the_artist_credited_with_it() -> None:
    verdicts = artist_genres(mislabelled_world())

    assert verdicts[DUGG] == GenreVerdict("hip-hop", verdicts[DUGG].subgenre, verdicts[DUGG].ranked)


def test_a_label_nothing_contradicts_stands() -> None:
    verdicts = artist_genres(mislabelled_world())

    assert verdicts[OUD].genre == verdicts[NAY].genre == "arabic"


def test_the_subgenre_is_the_heaviest_under_the_chosen_genre_and_the_ranking_keeps_the_runners_up() -> None:
    verdicts = artist_genres(mislabelled_world())

    assert verdicts[LIL].subgenre == "gangster"
    assert verdicts[WIZ].ranked[0] == "afrobeats"
    assert verdicts[OUD].subgenre in {"modern", "chill"}


def test_a_genre_only_one_playlist_carries_is_neither_confirmed_nor_overturned_by_one_doubt() -> None:
    world = Playlists()
    world.add("R&B Hits", "r&b", "modern", (1,), (2,), (3,), (4,), (1,), (2,))
    world.add("Soft Pop", "pop", "soft", (1,), (5,), (6,))
    world.add("Pop Hits", "pop", "mainstream", (5,), (6,))

    verdicts = artist_genres(world.listings)

    assert verdicts[1].genre == "r&b"  # twice on R&B Hits, once on a pop playlist
    assert verdicts[2].genre == "r&b"


def test_a_tie_goes_to_the_genre_with_more_listings_then_to_the_alphabet() -> None:
    world = Playlists()
    world.add("Pop", "pop", "x", (1,), (2,), (3,))
    world.add("Rock", "rock", "y", (1,))
    world.add("Folk", "folk", "z", (4,))
    world.add("Blues", "blues", "w", (4,))

    verdicts = artist_genres(world.listings)

    assert verdicts[1].genre == "pop"  # one listing each; pop has more in the catalog
    assert verdicts[4].genre == "blues"  # one listing each, equally common: the alphabet


def test_the_same_evidence_in_any_order_gives_the_same_verdicts() -> None:
    listings = mislabelled_world()

    assert artist_genres(listings) == artist_genres(list(reversed(listings)))
    assert artist_genres([]) == {}


def test_an_artist_known_only_from_a_collaboration_gets_its_collaborators_genre() -> None:
    known = {LIL: GenreVerdict("hip-hop", "trap"), WIZ: GenreVerdict("afrobeats", "nigerian")}

    learned = co_credited_genres([(LIL, 99), (LIL, 98, WIZ), (WIZ,)], known)

    assert learned[99] == GenreVerdict("hip-hop", "trap", ("hip-hop",))
    assert learned[98].genre in {"hip-hop", "afrobeats"} and set(learned[98].ranked) == {
        "hip-hop",
        "afrobeats",
    }
    assert LIL not in learned and WIZ not in learned


def test_a_track_takes_its_artists_genre_the_lead_counting_most_and_a_tie_going_to_the_earlier_credit() -> (
    None
):
    rap, afro, latin = (
        GenreVerdict("hip-hop", "trap"),
        GenreVerdict("afrobeats", "nigerian"),
        GenreVerdict("latin", "trap"),
    )

    assert track_genre([afro, rap]) == ("afrobeats", "nigerian")
    assert track_genre([afro, rap, rap]) == ("afrobeats", "nigerian")  # 1 against ½ + ½: a tie, the lead's
    assert track_genre([latin, rap, rap, rap]) == ("hip-hop", "trap")
    assert track_genre([None, rap]) == ("hip-hop", "trap")
    assert track_genre([None, GenreVerdict("", "")]) is None
