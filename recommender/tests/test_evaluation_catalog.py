from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation.catalog import CatalogView


def test_it_reads_every_embedded_track_once_with_unit_vectors(small_catalog):
    catalog = CatalogView.load()

    assert catalog.track_ids == sorted(track.pk for track in small_catalog)
    assert np.linalg.norm(catalog.embeddings, axis=1) == pytest.approx(np.ones(len(small_catalog)), abs=1e-5)
    assert catalog.valence[small_catalog[0].pk] == pytest.approx(0.12)
    assert catalog.label[small_catalog[0].pk] == ("indie", "indie")


def test_an_empty_catalog_loads_as_empty(db):
    catalog = CatalogView.load()

    assert catalog.track_ids == [] and catalog.embeddings.shape[0] == 0


def test_the_catalog_baselines_skip_what_they_are_told_to(small_catalog):
    catalog = CatalogView.load()
    most_popular = small_catalog[-1].pk  # the small catalog's popularity rises with its order
    folk = {track.pk for track in small_catalog if track.genre == "folk"}

    assert catalog.popular(exclude=(), count=2) == [most_popular, small_catalog[-2].pk]
    assert most_popular not in catalog.popular(exclude={most_popular}, count=5)
    drawn = catalog.random(exclude={most_popular}, count=30, rng=np.random.default_rng(0))
    assert len(drawn) == len(small_catalog) - 1 and most_popular not in drawn
    history = [small_catalog[2].pk]  # a folk track: the probe starts with the other folk track
    assert set(catalog.same_label_popular(history=history, exclude=history, count=1)) == folk - set(history)


def test_diversity_counts_distinct_lead_artists(small_catalog):
    catalog = CatalogView.load()
    same_artist = [small_catalog[0].pk, small_catalog[1].pk]  # both by Nora Vale
    sad_and_happy = [small_catalog[0].pk, small_catalog[8].pk]

    assert catalog.diversity(same_artist)[0] == 1.0
    artists, distance = catalog.diversity(sad_and_happy)
    assert artists == 2.0 and distance > catalog.diversity(same_artist)[1]
