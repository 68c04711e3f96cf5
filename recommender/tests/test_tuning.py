"""Tuning that a listener or an admin can feel: α/β/γ, source shares, mood strategy, feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from django.utils import timezone

from catalog.models import Track
from mood.perception import mood_from_text
from recommender.models import Feedback, RankingWeights, ServedList
from recommender.services import feedback_record, recommend_for_mood, recommend_tracks
from spotify.models import TimeRange
from tests.factories import (
    CandidateFactory,
    ListenerSettingsFactory,
    PlayFactory,
    RankingWeightsFactory,
    TopTrackFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HAPPY = ("Sunburst", "Golden Hour Party", "Jump Around Town", "Happy Feet")


def sad_list(user, *, seed: int = 0, count: int = 5):
    return recommend_tracks(
        user=user, label="sadness", valence=-0.7, arousal=-0.4, count=count, rng=np.random.default_rng(seed)
    )


def give_history(user) -> None:
    """One play, so the ranker is not in cold start (which samples hotter on purpose)."""
    PlayFactory.create(
        user=user, track=Track.objects.get(name="Road Trip"), played_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def mean_valence(tracks) -> float:
    return float(np.mean([track.valence for track in tracks]))


def test_changing_alpha_beta_gamma_in_the_admin_changes_the_next_recommendation(client, alice, small_catalog):
    admin = UserFactory.create(email="admin@example.com", admin=True)
    for rank, name in enumerate(HAPPY, start=1):  # Alice's favourites are bright dance-pop
        TopTrackFactory.create(
            user=alice, track=Track.objects.get(name=name), time_range=TimeRange.SHORT, rank=rank
        )
    client.force_login(admin)
    form = {
        "alpha_emotion": 2.0, "beta_recent": 0.0, "gamma_top": 0.0, "fit": 1.0, "popularity": 0.0,
        "preference": 1.0, "feedback": 1.0, "temperature": 0.0, "buckets": 1, "repeat_window": 0,
        "max_per_artist": 2, "candidate_pool": 400, "note": "mood only",
    }  # fmt: skip
    assert client.post("/admin/recommender/rankingweights/add/", form).status_code == 302
    by_mood = sad_list(alice)

    row = RankingWeights.objects.first()
    response = client.post(
        f"/admin/recommender/rankingweights/{row.pk}/change/",
        {**form, "alpha_emotion": 0.5, "gamma_top": 6.0, "fit": 0.0, "note": "lean on favourites"},
    )
    assert response.status_code == 302
    by_favourites = sad_list(alice)

    assert RankingWeights.objects.count() == 2, "a change is a new version, the old one is kept"
    assert RankingWeights.objects.first().created_by == admin
    assert [t.track_id for t in by_mood] != [t.track_id for t in by_favourites]
    assert mean_valence(by_favourites) > mean_valence(by_mood) + 0.2
    assert ServedList.objects.filter(user=alice).first().weights["gamma"] == 6.0


def test_the_admin_refuses_nonsense_weights(client, alice):
    admin = UserFactory.create(email="admin@example.com", admin=True)
    client.force_login(admin)
    response = client.post(
        "/admin/recommender/rankingweights/add/",
        {"alpha_emotion": 99, "beta_recent": 0, "gamma_top": 0, "fit": 1, "popularity": 0, "preference": 1,
         "feedback": 1, "temperature": -1, "buckets": 1, "repeat_window": 0, "max_per_artist": 2,
         "candidate_pool": 400},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Keep weights between -10 and 10." in response.content.decode()
    assert not RankingWeights.objects.exists()


def test_the_source_ratio_controller_changes_the_source_mix(alice, small_catalog):
    now = timezone.now()
    for index, track in enumerate(small_catalog):
        source = "artists" if index % 2 else "popular"
        CandidateFactory.create(user=alice, track=track, sources=[source], weight=0.5, fetched_at=now)
    RankingWeightsFactory.create(repeat_window=0, buckets=1, temperature=0.0)
    give_history(alice)
    settings = ListenerSettingsFactory.create(
        user=alice, share_artists=100, share_cooccurrence=0, share_popular=0
    )

    artists_first = recommend_tracks(user=alice, label="neutral", valence=0.0, arousal=0.0, count=6)
    settings.share_artists, settings.share_popular = 0, 100
    settings.save()
    popular_first = recommend_tracks(user=alice, label="neutral", valence=0.0, arousal=0.0, count=6)

    assert all(track.sources == ["artists"] for track in artists_first)
    assert all(track.sources == ["popular"] for track in popular_first)


def test_sad_stay_with_me_and_lift_me_up_give_measurably_different_lists(alice, small_catalog):
    RankingWeightsFactory.create(repeat_window=0, temperature=0.0, buckets=1)  # deterministic
    give_history(alice)

    def picks(text: str):
        return recommend_for_mood(user=alice, mood=mood_from_text(text), text=text, count=5)

    stay = picks("I'm sad, stay with me")
    lift = picks("I'm sad, lift me up")

    assert mean_valence(lift) > mean_valence(stay) + 0.12
    assert len({t.track_id for t in lift} & {t.track_id for t in stay}) <= 2
    assert all("lift your mood" in t.reason for t in lift)


def test_feedback_changes_the_next_ranking(alice, small_catalog):
    RankingWeightsFactory.create(repeat_window=0, temperature=0.0, buckets=1, feedback=3.0)
    give_history(alice)
    before = sad_list(alice)
    disliked = before[0]
    liked = Track.objects.get(name="Lo-fi Study Loop")  # calm but not sad: not in a sad top 5 on its own
    assert liked.pk not in {t.track_id for t in before}

    feedback_record(user=alice, track_id=disliked.track_id, kind=Feedback.Kind.DISLIKE)
    feedback_record(user=alice, track_id=liked.pk, kind=Feedback.Kind.LIKE)
    after = sad_list(alice)

    assert disliked.track_id not in {t.track_id for t in after}
    assert liked.pk in {t.track_id for t in after}


def test_a_listener_with_history_is_not_served_a_cold_start_list(alice, small_catalog):
    PlayFactory.create(user=alice, track=small_catalog[0], played_at=datetime(2026, 1, 1, tzinfo=UTC))
    CandidateFactory.create(
        user=alice, track=small_catalog[1], sources=["artists"], weight=1.0, fetched_at=timezone.now()
    )
    sad_list(alice)
    assert ServedList.objects.get(user=alice).cold_start is False

    sad_list(UserFactory.create(email="new@example.com"))
    assert ServedList.objects.get(user__email="new@example.com").cold_start is True
