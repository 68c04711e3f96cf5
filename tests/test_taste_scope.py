"""What a genre or "no explicit" taste covers, from the words said to the tracks left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from catalog.demo_files import catalog_file_read
from catalog.genres import GENRE_ALIASES, GENRE_SCOPES, genre_matches, genre_named
from mood.encoder import embed_text
from recommender.models import ListenerSettings
from recommender.pool import pool_scored
from recommender.profiles import track_profiles_refresh
from recommender.tastes import taste_constraints, taste_remember
from tests.factories import TrackFactory


@pytest.mark.parametrize(
    ("said", "stored"),
    [
        ("rap", "hip-hop"),
        ("hip hop", "hip-hop"),
        ("Hip-Hop", "hip-hop"),
        ("edm", "electronic"),
        ("trap", "trap"),
    ],
)
def test_the_words_listeners_use_name_catalog_genres(said: str, stored: str) -> None:
    assert genre_named(said) == stored


def test_every_genre_word_names_a_genre_or_subgenre_the_demo_catalog_files_tracks_under() -> None:
    playlists = catalog_file_read(Path(settings.DEMO_DATA_DIR) / "catalog.json.gz")["playlists"]
    labels = {p["genre"] for p in playlists} | {p["subgenre"] for p in playlists}

    assert set(GENRE_ALIASES.values()) - labels - set(GENRE_SCOPES) == set()


def test_rap_covers_the_rap_subgenres_filed_elsewhere_but_not_lofi_beats() -> None:
    assert genre_matches("hip-hop", "hip-hop", "melodic")
    assert genre_matches("hip-hop", "latin", "trap") and genre_matches("hip-hop", "pop", "drill")
    assert genre_matches("hip-hop", "latin", "hip-hop")
    assert not genre_matches("hip-hop", "lofi", "hip-hop")
    assert genre_matches("jazz", "jazz", "smooth") and genre_matches("latin", "jazz", "latin")
    assert not genre_matches("", "", "")


@pytest.mark.django_db
def test_no_more_rap_leaves_out_rap_wherever_it_is_filed(alice) -> None:
    rap = [
        TrackFactory.create(genre="hip-hop", subgenre="gangster"),
        TrackFactory.create(genre="latin", subgenre="trap"),
        TrackFactory.create(genre="electronic", subgenre="drill"),
    ]
    kept = [
        TrackFactory.create(genre="lofi", subgenre="hip-hop"),
        TrackFactory.create(genre="afrobeats", subgenre="nigerian"),
    ]
    jazz = TrackFactory.create(genre="jazz", subgenre="smooth")

    track_profiles_refresh()
    query = embed_text("something to play")
    everything = set(pool_scored(user=alice, query=query, repeat_window=5, limit=50).column(0))

    taste_remember(user=alice, kind="genre", value="rap", liked=False, source="chat")
    taste_remember(user=alice, kind="genre", value="jazz", liked=False, source="chat")
    pooled = set(pool_scored(user=alice, query=query, repeat_window=5, limit=50).column(0))

    assert everything == {t.pk for t in [*rap, *kept, jazz]}
    assert pooled == {t.pk for t in kept}


@pytest.mark.django_db
def test_the_no_explicit_rule_and_the_setting_are_one(alice) -> None:
    assert taste_constraints(user=alice).no_explicit is False

    outcome = taste_remember(user=alice, kind="constraint", value="no swearing", liked=True, source="chat")

    assert outcome.ok and taste_constraints(user=alice).no_explicit
    assert ListenerSettings.objects.get(user=alice).allow_explicit is False
    taste_remember(user=alice, kind="constraint", value="no explicit", liked=False, source="settings")
    assert ListenerSettings.objects.get(user=alice).allow_explicit is True
    assert taste_constraints(user=alice).no_explicit is False
    ListenerSettings.objects.filter(user=alice).update(allow_explicit=False)  # the Preferences page
    assert taste_constraints(user=alice).no_explicit
