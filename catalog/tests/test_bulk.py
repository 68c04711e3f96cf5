"""``catalog.bulk.copy_update``: COPY into a temp table, one UPDATE, only rows that differ.

Vectors and float arrays are tested where they live, in ``recommender.tests.test_flat_startup``.
"""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.bulk import as_json, copy_update
from catalog.models import Artist, Track
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


def ctids(model, pks) -> dict[int, str]:
    """Where each row's current version lives: an UPDATE moves it, even to equal values."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, ctid::text FROM {model._meta.db_table} WHERE id = ANY(%s)", [list(pks)])
        return dict(cursor.fetchall())


def test_it_updates_exactly_the_given_rows_and_leaves_the_others_alone():
    first, second, third = (TrackFactory.create(popularity=10, genre="folk") for _ in range(3))
    before = ctids(Track, [first.pk, second.pk, third.pk])

    changed = copy_update(
        Track, "id", ["popularity", "genre"], [(first.pk, 55, "rock"), (second.pk, 10, "jazz")]
    )

    assert sorted(changed) == [first.pk, second.pk]
    values = {pk: rest for pk, *rest in Track.objects.values_list("id", "popularity", "genre")}
    assert values == {first.pk: [55, "rock"], second.pk: [10, "jazz"], third.pk: [10, "folk"]}
    assert ctids(Track, [third.pk]) == {third.pk: before[third.pk]}


def test_rows_equal_to_what_is_stored_are_not_rewritten_nor_counted():
    track = TrackFactory.create(popularity=10, genre="folk", valence=None)
    before = ctids(Track, [track.pk])

    assert copy_update(Track, "id", ["popularity", "genre", "valence"], [(track.pk, 10, "folk", None)]) == []
    assert ctids(Track, [track.pk]) == before


def test_none_writes_null_and_null_can_be_replaced():
    track = TrackFactory.create(popularity=10, valence=None)

    assert copy_update(Track, "id", ["popularity", "valence"], [(track.pk, None, 0.25)]) == [track.pk]

    track.refresh_from_db()
    assert (track.popularity, track.valence) == (None, 0.25)


def test_it_writes_jsonb_given_as_json_text():
    artist = ArtistFactory.create(genres=[])

    copy_update(Artist, "id", ["genres"], [(artist.pk, as_json([["folk", 0.75], ["café", 0.25]]))])

    artist.refresh_from_db()
    assert artist.genres == [["folk", 0.75], ["café", 0.25]]


def test_no_rows_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert copy_update(Track, "id", ["popularity"], []) == []
