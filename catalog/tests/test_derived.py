"""What every catalog write settles: genres by artist consensus and explicitness by who said it."""

from __future__ import annotations

import pytest
from django.db.models.expressions import RawSQL

from catalog import demo
from catalog.csv_rows import spotify_like_id
from catalog.demo_files import catalog_file_read, catalog_file_write
from catalog.models import Artist, Track
from catalog.services import catalog_derived_refresh, catalog_import_rows, catalog_save, track_explicit_said
from catalog.types import TRACK_FEATURES, Catalog, CatalogArtist, CatalogTrack
from tests.catalog_csv import row

GANGSTER, TRAP, ARAB_X, AFRO_HITS, HEAT, MIDDLE_EAST, AMBIENT = (
    spotify_like_id(f"playlist:{name}")
    for name in ("gangster", "trap", "arabx", "afro", "heat", "me", "ambient")
)


def track_id(name: str) -> str:
    return spotify_like_id(f"track:{name}")


def listed(playlist: str, genre: str, subgenre: str, *tracks: tuple[str, str], **extra: str) -> list[dict]:
    return [
        row(track_id(name), name, artists, playlist, genre, playlist_subgenre=subgenre, **extra)
        for name, artists in tracks
    ]


def mislabelled_rows() -> list[dict]:
    """Rap and afrobeats as the Kaggle files have them: a rap-then-afrobeats playlist filed "arabic"."""
    return [
        *listed(
            GANGSTER,
            "hip-hop",
            "gangster",
            ("Drip Too Hard", "Lil Baby, Gunna"),
            ("Superhero", "Metro Boomin"),
        ),
        *listed(TRAP, "hip-hop", "trap", ("Freestyle", "Lil Baby"), ("Too Many Nights", "Metro Boomin")),
        *listed(
            ARAB_X,
            "arabic",
            "modern",
            ("Freestyle", "Lil Baby"),
            ("Emotionally Scarred", "Lil Baby"),
            ("Sum 2 Prove", "Lil Baby"),
            ("We Paid", "Lil Baby, 42 Dugg"),
            ("Superhero", "Metro Boomin"),
            ("Ojuelegba", "Wizkid"),
            ("Ye", "Burna Boy"),
            ("Peace", "Mohbad"),
            ("Essence", "Wizkid"),
            ("Last Last", "Burna Boy"),
        ),
        *listed(AFRO_HITS, "afrobeats", "nigerian", ("Ojuelegba", "Wizkid"), ("Ye", "Burna Boy")),
        *listed(HEAT, "afrobeats", "african", ("Essence", "Wizkid"), ("Last Last", "Burna Boy")),
        *listed(MIDDLE_EAST, "arabic", "modern", ("Ya Tabtab", "Nancy Ajram"), ("Habibi", "Oud Trio")),
        *listed(AMBIENT, "ambient", "chill", ("Drift", "Tide Pools")),
    ]


@pytest.mark.django_db
def test_an_import_files_artists_by_consensus_and_tracks_by_their_artists() -> None:
    catalog_import_rows(mislabelled_rows())

    genres = dict(Artist.objects.values_list("name", "genre"))
    assert genres["Lil Baby"] == genres["Metro Boomin"] == "hip-hop"
    assert genres["Wizkid"] == genres["Burna Boy"] == genres["Mohbad"] == "afrobeats"
    assert genres["42 Dugg"] == "hip-hop"  # seen once, featured with Lil Baby
    assert genres["Nancy Ajram"] == "arabic"
    scarred = Track.objects.get(name="Emotionally Scarred")
    assert (scarred.genre, scarred.playlist_genre) == ("hip-hop", "arabic")  # the file's label is kept beside
    assert Track.objects.get(name="Peace").genre == "afrobeats"
    assert Artist.objects.get(name="Lil Baby").genres[0] == "hip-hop"


@pytest.mark.django_db
def test_settling_the_derived_fields_again_writes_nothing() -> None:
    catalog_import_rows(mislabelled_rows())
    before = _row_versions()

    refresh = catalog_derived_refresh()
    again = catalog_import_rows(mislabelled_rows())

    assert (refresh.artists, refresh.track_pks) == (0, [])
    assert (again.tracks_changed, again.derived.artists, again.derived.track_pks) == (0, 0, [])
    assert _row_versions() == before


def _row_versions() -> dict[str, list[tuple[int, str]]]:
    return {
        model.__name__: sorted(model.objects.annotate(v=RawSQL("xmin::text", ())).values_list("pk", "v"))
        for model in (Track, Artist)
    }


@pytest.mark.django_db
def test_a_new_playlist_that_moves_an_artist_retags_its_tracks_elsewhere_and_says_so() -> None:
    catalog_import_rows(mislabelled_rows()[:2])  # Lil Baby and Metro Boomin, on one rap playlist
    freestyle = Track.objects.get(name="Drip Too Hard")
    assert freestyle.genre == "hip-hop"

    more = listed(
        AMBIENT,
        "ambient",
        "chill",
        *[(f"Calm {n}", "Lil Baby") for n in range(4)],
        ("Drift", "Tide Pools"),
    )
    other_ambient = listed(MIDDLE_EAST, "ambient", "sleep", ("Drift", "Tide Pools"), ("Calm 0", "Lil Baby"))
    result = catalog_import_rows(more + other_ambient)

    freestyle.refresh_from_db()
    assert freestyle.genre == "ambient"
    assert freestyle.pk in result.changed_pks and freestyle.pk not in result.track_pks


@pytest.mark.django_db
def test_an_imported_flag_is_kept_and_spotifys_own_outranks_it() -> None:
    rows = [
        *listed(GANGSTER, "hip-hop", "gangster", ("Said Explicit", "Lil Baby"), explicit="True"),
        *listed(GANGSTER, "hip-hop", "gangster", ("Said Clean", "Lil Baby"), explicit="false"),
        *listed(GANGSTER, "hip-hop", "gangster", ("Not Said", "Lil Baby"), explicit=""),
    ]
    catalog_import_rows(rows)

    def states() -> dict[str, tuple[bool | None, str]]:
        return {t.name: (t.explicit, t.explicit_source) for t in Track.objects.all()}

    assert states() == {
        "Said Explicit": (True, "import"),
        "Said Clean": (False, "import"),
        "Not Said": (None, ""),
    }
    track_explicit_said({track_id("Said Explicit"): False, track_id("Not Said"): True}, source="spotify")
    rows[0]["explicit"] = "true"
    rows[2]["explicit"] = "false"
    catalog_import_rows(rows)  # a file never overrules Spotify

    assert states() == {
        "Said Explicit": (False, "spotify"),
        "Said Clean": (False, "import"),
        "Not Said": (True, "spotify"),
    }


@pytest.mark.django_db
def test_fuck_love_is_estimated_explicit_until_spotify_says_otherwise() -> None:
    catalog_import_rows(listed(GANGSTER, "hip-hop", "chill", ("Fuck Love", "XXXTENTACION, Trippie Redd")))

    fuck_love = Track.objects.get(name="Fuck Love")
    assert (fuck_love.explicit, fuck_love.explicit_source) == (True, "estimate")

    track_explicit_said({fuck_love.spotify_id: False}, source="spotify")
    fuck_love.refresh_from_db()
    assert (fuck_love.explicit, fuck_love.explicit_source) == (False, "spotify")


@pytest.mark.django_db
def test_spotifys_flags_on_an_artists_tracks_mark_its_unflagged_ones_estimated() -> None:
    catalog_import_rows(
        listed(GANGSTER, "hip-hop", "gangster", *[(f"Song {n}", "Lil Baby") for n in range(5)])
    )

    track_explicit_said({track_id(f"Song {n}"): True for n in range(3)}, source="spotify")

    assert dict(Track.objects.values_list("name", "explicit_source")) == {
        "Song 0": "spotify",
        "Song 1": "spotify",
        "Song 2": "spotify",
        "Song 3": "estimate",
        "Song 4": "estimate",
    }


@pytest.mark.django_db
def test_a_track_from_spotify_takes_its_artists_genre_and_its_own_flag() -> None:
    catalog_import_rows(mislabelled_rows())
    lil_baby = CatalogArtist(Artist.objects.get(name="Lil Baby").spotify_id, "Lil Baby")
    newcomer = CatalogArtist(spotify_like_id("artist:newcomer"), "Newcomer")

    def from_spotify(name: str, explicit: bool | None, *artists: CatalogArtist) -> CatalogTrack:
        return CatalogTrack(track_id(name), name, None, artists, 200_000, None, "", "", explicit=explicit)

    catalog_save(
        Catalog(
            [from_spotify("Fresh", True, lil_baby), from_spotify("Guest Spot", None, newcomer, lil_baby)], []
        ),
        overwrite=False,
    )

    fresh, guest = Track.objects.get(name="Fresh"), Track.objects.get(name="Guest Spot")
    assert (fresh.genre, fresh.explicit, fresh.explicit_source) == ("hip-hop", True, "spotify")
    assert (guest.genre, guest.explicit, guest.explicit_source) == ("hip-hop", None, "")
    assert Artist.objects.get(name="Newcomer").genre == "hip-hop"


def _one_track_catalog() -> tuple[dict, dict]:
    """A demo catalog file's contents with one pop track of unknown explicitness, and that track."""
    track = {
        "id": "t" * 22,
        "name": "Song",
        "album_id": None,
        "artist_ids": ["a" * 22],
        "duration_ms": 1,
        "popularity": 1,
        "genre": "pop",
        "subgenre": "x",
        **dict.fromkeys(TRACK_FEATURES),
        "explicit": None,
    }
    artists = [{"id": "a" * 22, "name": "A"}]
    return track, {"artists": artists, "albums": [], "tracks": [track], "playlists": []}


def test_the_demo_file_carries_flags_only_when_some_track_has_one(tmp_path) -> None:
    track, plain = _one_track_catalog()

    catalog_file_write(tmp_path / "none.json.gz", plain, source="test")
    catalog_file_write(
        tmp_path / "flag.json.gz", {**plain, "tracks": [{**track, "explicit": True}]}, source="t"
    )

    assert catalog_file_read(tmp_path / "none.json.gz")["tracks"][0]["explicit"] is None
    assert catalog_file_read(tmp_path / "flag.json.gz")["tracks"][0]["explicit"] is True


@pytest.mark.django_db
def test_a_warm_demo_load_derives_again_only_when_its_inputs_changed(tmp_path, monkeypatch) -> None:
    _, plain = _one_track_catalog()
    path = tmp_path / "catalog.json.gz"
    catalog_file_write(path, plain, source="test")
    passes: list[int] = []

    def counted():
        passes.append(1)
        return catalog_derived_refresh()

    monkeypatch.setattr(demo, "catalog_derived_refresh", counted)

    assert demo.demo_catalog_load(path=path).imported is not None  # the first load imports
    demo.demo_catalog_load(path=path)
    demo.demo_catalog_load(path=path)
    assert len(passes) == 1, "a second warm start with nothing changed derives nothing"

    Track.objects.create(spotify_id="n" * 22, name="Synced Later")  # a sync grew the catalog
    demo.demo_catalog_load(path=path)
    assert len(passes) == 2
    demo.demo_catalog_load(path=path)
    assert len(passes) == 2
