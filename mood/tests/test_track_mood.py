"""The track mood model: its pure parts, and what the shipped weights learned from human labels."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from mood.encoder import embed_texts
from mood.track_mood import (
    FEATURE_NAMES,
    TRACK_MOODS,
    MoodEvidence,
    feature_row,
    meta_row,
    model_read,
    model_save,
    mood_blend,
    mood_of,
    signal_text,
    softmax_fit,
    track_mood_model,
    track_mood_override,
)

# Feature rows as the labelled data has them (acoustic piano vs a festival EDM track).
PIANO = dict(
    danceability=0.35, acousticness=0.97, energy=0.05, instrumentalness=0.92, liveness=0.1,
    valence=0.12, loudness=-26.0, speechiness=0.04, tempo=72.0,
)  # fmt: skip
FESTIVAL = dict(
    danceability=0.6, acousticness=0.01, energy=0.95, instrumentalness=0.3, liveness=0.3,
    valence=0.4, loudness=-3.5, speechiness=0.07, tempo=128.0,
)  # fmt: skip


def test_the_signal_text_says_what_is_known_without_features_and_never_repeats_the_title():
    text = signal_text(
        name="Fields Of Blossom",
        artists=["Martèn LeGrand"],
        album="Fields of blossom",
        genre="ambient",
        subgenre="meditative",
        playlists=["Yoga & Meditation", "Yoga & Meditation", "Ambient Chill", "Sleep", "Focus"],
        lyrics_words=["calm"],
    )

    assert text == (
        "Fields Of Blossom by Martèn LeGrand. ambient, meditative. "
        "Playlists: Yoga & Meditation, Ambient Chill, Sleep. Lyrics: calm."
    )


def test_metadata_is_nan_where_unknown():
    known = meta_row(duration_ms=180_000, release_date="2019-05-01", popularity=40)
    unknown = meta_row(duration_ms=0, release_date="", popularity=None)

    assert known == pytest.approx([math.log(180), 2019.0, 40.0])
    assert all(math.isnan(value) for value in unknown)


def test_a_track_needs_all_nine_features_for_the_feature_model():
    assert feature_row(PIANO) == [PIANO[name] for name in FEATURE_NAMES]
    assert feature_row({**PIANO, "tempo": None}) is None


def test_softmax_regression_learns_a_separable_problem_and_soft_targets():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-2, 0.5, (30, 2)), rng.normal(2, 0.5, (30, 2))])
    targets = np.vstack([np.tile([1.0, 0.0], (30, 1)), np.tile([0.0, 1.0], (30, 1))])

    model = softmax_fit(x, targets)

    assert (model.probabilities(np.array([[-2.0, -2.0]]))[0, 0]) > 0.9
    assert (model.probabilities(np.array([[2.0, 2.0]]))[0, 1]) > 0.9
    assert model.probabilities(np.array([[np.nan, np.nan]])).sum() == pytest.approx(1.0)


def test_the_shipped_model_learned_moods_from_human_labels():
    model = track_mood_model()
    silent = np.zeros((2, model.playlist_embeddings.shape[1]), dtype=np.float32)
    meta = np.full((2, 3), np.nan)

    moods = model.predict(
        features=np.array([feature_row(PIANO), feature_row(FESTIVAL)]), embeddings=silent, meta=meta
    )

    assert mood_of(moods[0])[0] == "calm" and mood_of(moods[0])[1] > 0.8
    assert mood_of(moods[1])[0] == "energetic"
    # People's calm music has the lowest Spotify valence of all, below sad music: learned, not placed.
    calm, sad = model.centroids[TRACK_MOODS.index("calm")], model.centroids[TRACK_MOODS.index("sad")]
    assert calm[0] < sad[0] and calm[1] < sad[1]
    assert len(model.trained_ids) >= 300 and "trained on" in model.summary


def test_the_text_model_reads_a_mood_from_words_alone():
    model = track_mood_model()
    texts = [
        signal_text(
            name="Deep Sleep Piano", artists=["Calm"], genre="ambient", playlists=["Meditative Vibes"]
        ),
        signal_text(
            name="Bangers Only", artists=["DJ Rage"], genre="electronic", playlists=["Hardstyle Bangers"]
        ),
    ]

    moods = model.predict(features=None, embeddings=embed_texts(texts), meta=np.full((2, 3), np.nan))

    assert moods[0, TRACK_MOODS.index("calm")] > moods[1, TRACK_MOODS.index("calm")]
    assert moods[1, TRACK_MOODS.index("energetic")] > moods[0, TRACK_MOODS.index("energetic")]


def test_weights_survive_a_save_and_read(tmp_path):
    model = track_mood_model()
    path = tmp_path / "track_mood.npz"

    model_save(replace(model, summary="round trip"), path)
    again = model_read(path)

    assert again.summary == "round trip" and again.playlist_names == model.playlist_names
    row = np.array([feature_row(PIANO)])
    assert again.features.probabilities(row) == pytest.approx(model.features.probabilities(row), abs=1e-5)


def test_an_override_stands_in_for_the_shipped_model_only_inside_its_block():
    shipped = track_mood_model()
    other = replace(shipped, summary="fold 1")

    with track_mood_override(other):
        assert track_mood_model() is other
    assert track_mood_model() is shipped


def test_own_audio_features_decide_and_neighbours_only_nudge():
    own = np.array([0.1, 0.1, 0.7, 0.1])
    energetic_mates = np.tile([0.0, 0.0, 0.0, 1.0], (3, 1))

    alone, signals_alone = mood_blend(MoodEvidence(own=own, has_features=True))
    nudged, signals = mood_blend(
        MoodEvidence(own=own, has_features=True, artist_mates=energetic_mates, playlist_mates=energetic_mates)
    )

    assert alone == pytest.approx(own) and signals_alone == ["features"]
    assert mood_of(nudged)[0] == "calm"
    assert nudged[3] > own[3]
    assert signals == ["features", "artist", "playlists"]


def test_a_track_known_only_by_words_leans_more_on_its_artist_and_on_listeners():
    own = np.array([0.4, 0.2, 0.2, 0.2])
    sad_mates = np.tile([0.0, 1.0, 0.0, 0.0], (4, 1))

    by_artist, _ = mood_blend(MoodEvidence(own=own, has_features=False, artist_mates=sad_mates))
    voted, signals = mood_blend(MoodEvidence(own=own, has_features=False, votes=np.array([0, 0, 5.0, 0])))

    assert mood_of(by_artist)[0] == "sad"
    assert mood_of(voted)[0] == "calm" and "listeners" in signals
    assert by_artist.sum() == pytest.approx(1.0) and voted.sum() == pytest.approx(1.0)
