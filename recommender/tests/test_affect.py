from __future__ import annotations

import numpy as np
import pytest

from catalog.models import Artist, Track
from recommender.affect import CONFIDENCE_CEILING, MIN_TRAINING_TRACKS, fit_affect_model, track_affect_refresh
from recommender.models import TrackProfile
from recommender.profiles import track_profiles_refresh
from tests.factories import ArtistFactory, TrackFactory


def _linear_data(rows: int, seed: int = 1, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 12))
    valence = 0.5 + x @ np.linspace(-0.03, 0.03, 12) + rng.normal(scale=noise, size=rows)
    energy = 0.5 + 0.05 * x[:, 0] - 0.02 * x[:, 5] + rng.normal(scale=noise, size=rows)
    return x, valence, energy


def test_it_recovers_a_known_linear_relation():
    x, valence, energy = _linear_data(600)
    model = fit_affect_model(x[:500], valence[:500], energy[:500])

    predicted_valence, predicted_energy, confidence = model.predict(x[500:])

    assert np.abs(predicted_valence - valence[500:]).mean() < 0.02
    assert np.abs(predicted_energy - energy[500:]).mean() < 0.02
    assert min(model.heldout_r) > 0.9
    assert np.median(confidence) > 0.5


def test_its_estimates_stay_on_the_scale_and_below_full_confidence():
    x, valence, energy = _linear_data(200)
    model = fit_affect_model(x, valence, energy)

    predicted_valence, predicted_energy, confidence = model.predict(x * 40)

    assert predicted_valence.min() >= 0 and predicted_valence.max() <= 1
    assert predicted_energy.min() >= 0 and predicted_energy.max() <= 1
    assert confidence.max() <= CONFIDENCE_CEILING < 1


def test_it_is_less_sure_far_from_what_it_learnt_from():
    x, valence, energy = _linear_data(400)
    x[:, 0] += 4.0  # like sentence embeddings, the training rows share a direction
    model = fit_affect_model(x, valence, energy)
    elsewhere = np.zeros((50, 12))
    elsewhere[:, 0], elsewhere[:, 11] = 1.0, 4.0  # mostly a direction no training row takes

    _, _, near = model.predict(x[:50])
    _, _, far = model.predict(elsewhere)

    assert far.mean() < 0.5 * near.mean()


def test_it_is_less_sure_where_its_held_out_error_was_large():
    rng = np.random.default_rng(3)
    centres = np.eye(8)[[0, 1]] * 5
    x = np.vstack([centres[0] + rng.normal(size=(200, 8)), centres[1] + rng.normal(size=(200, 8))])
    valence = np.concatenate([np.full(200, 0.3), rng.uniform(0, 1, 200)])  # second cluster: noise
    energy = np.concatenate([np.full(200, 0.6), rng.uniform(0, 1, 200)])

    _, _, confidence = fit_affect_model(x, valence, energy).predict(centres)

    assert confidence[0] > confidence[1] + 0.3


def test_it_holds_out_whole_groups():
    x, valence, energy = _linear_data(100)

    model = fit_affect_model(x, valence, energy, groups=np.arange(100) // 10)

    assert len(model.reference) % 10 == 0


def test_it_refuses_inputs_it_cannot_learn_from():
    x, valence, energy = _linear_data(50)

    with pytest.raises(ValueError):
        fit_affect_model(x[:5], valence[:5], energy[:5])
    with pytest.raises(ValueError):
        fit_affect_model(x, valence[:40], energy)
    with pytest.raises(ValueError):
        fit_affect_model(x, np.full(50, np.nan), energy)


def _track(index: int, genre: str, valence: float | None, energy: float | None, artist: Artist) -> Track:
    return TrackFactory.create(
        name=f"{genre.title()} Song {index}",
        artists=[artist],
        genre=genre,
        valence=valence,
        energy=energy,
        tempo=None if valence is None else 80.0 + index,
    )


def _catalog(per_genre: int) -> dict[str, Track]:
    """Sad quiet folk and happy loud pop with features; one track of each without."""
    made = {}
    for genre, (low, high) in {"folk": (0.05, 0.3), "pop": (0.7, 0.95)}.items():
        for index in range(per_genre):
            artist = ArtistFactory.create(name=f"{genre} {index % 5}")  # five artists, several tracks each
            level = low + (high - low) * index / max(per_genre - 1, 1)
            made[f"{genre}-{index}"] = _track(index, genre, level, level, artist)
        made[f"{genre}-api"] = _track(99, genre, None, None, ArtistFactory.create())
    made["title-only"] = _track(98, "", None, None, ArtistFactory.create(name="Someone"))
    return made


def test_it_copies_features_with_full_confidence_and_estimates_the_rest(db):
    catalog = _catalog(per_genre=MIN_TRAINING_TRACKS // 2 + 5)

    track_profiles_refresh()

    copied = TrackProfile.objects.get(track=catalog["folk-3"])
    assert (copied.valence, copied.energy) == (catalog["folk-3"].valence, catalog["folk-3"].energy)
    assert (copied.affect_source, copied.affect_confidence) == ("features", 1.0)
    folk, pop, unknown = (
        TrackProfile.objects.get(track=catalog[key]) for key in ("folk-api", "pop-api", "title-only")
    )
    assert {folk.affect_source, pop.affect_source, unknown.affect_source} == {"estimated"}
    assert folk.valence < 0.4 < 0.6 < pop.valence
    assert folk.energy < pop.energy
    assert all(0 <= profile.affect_confidence < 1 for profile in (folk, pop, unknown))
    assert unknown.affect_confidence < folk.affect_confidence


def test_a_second_affect_refresh_changes_nothing(db):
    _catalog(per_genre=MIN_TRAINING_TRACKS // 2 + 5)
    track_profiles_refresh()

    assert track_affect_refresh() == 0


def test_it_leaves_tracks_without_features_alone_when_too_few_have_them(db):
    catalog = _catalog(per_genre=5)

    track_profiles_refresh()

    profile = TrackProfile.objects.get(track=catalog["folk-api"])
    assert (profile.valence, profile.affect_source) == (None, "")
    assert TrackProfile.objects.get(track=catalog["folk-1"]).affect_source == "features"
