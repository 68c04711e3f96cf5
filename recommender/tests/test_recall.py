"""Recall: which tracks a listener's candidates come from, and what never gets in."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from catalog.demo import demo_catalog_load
from catalog.models import Artist, Track
from recommender import recall
from recommender.models import Candidate, Feedback, TastePreference
from recommender.tasks import recall_candidates, recall_due_candidates
from spotify import services
from spotify.errors import SpotifyRateLimited
from spotify.models import TimeRange
from spotify.tasks import retry_delay, sync_library
from tests.emulator import MALIK, consented_link
from tests.factories import (
    FeedbackFactory,
    FollowedArtistFactory,
    PlayFactory,
    PlaylistFactory,
    TastePreferenceFactory,
    TopArtistFactory,
    TopTrackFactory,
    UserFactory,
    make_small_catalog,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracks() -> dict[str, Track]:
    """The small catalog by track name (no profiles: recall does not need them)."""
    return {track.name: track for track in make_small_catalog()}


def artist(name: str) -> Artist:
    return Artist.objects.get(name=name)


def play(user, track: Track, *, days_ago: float) -> None:
    PlayFactory.create(user=user, track=track, played_at=timezone.now() - timedelta(days=days_ago))


def candidate_rows(user) -> list[tuple]:
    return list(
        Candidate.objects.filter(user=user)
        .order_by("track_id")
        .values_list("track_id", "sources", "weight", "reason")
    )


@pytest.fixture
def alice_history(alice, tracks):
    """Alice follows Nora Vale and plays her; Coral is a long-term top artist; Iron Vow one old play."""
    FollowedArtistFactory.create(user=alice, artist=artist("Nora Vale"))
    TopTrackFactory.create(user=alice, track=tracks["Rainy Window"], time_range=TimeRange.SHORT, rank=1)
    play(alice, tracks["Rainy Window"], days_ago=1)
    play(alice, tracks["Rainy Window"], days_ago=2)
    TopArtistFactory.create(user=alice, artist=artist("Coral"), time_range=TimeRange.LONG, rank=1)
    play(alice, tracks["Riot Engine"], days_ago=90)
    return alice


def test_affinity_ranks_followed_top_and_recent_artists_above_an_old_play(alice_history):
    affinity = recall.artist_affinity(user=alice_history)

    by_name = {Artist.objects.get(pk=pk).name: weight for pk, weight in affinity.items()}
    assert by_name["Nora Vale"] == 1.0
    assert by_name["Nora Vale"] > by_name["Coral"] > by_name["Iron Vow"] > 0
    assert all(0 < weight <= 1 for weight in affinity.values())


def test_affinity_weighs_short_term_top_tracks_above_long_term_ones(alice, tracks):
    TopTrackFactory.create(user=alice, track=tracks["Sunburst"], time_range=TimeRange.LONG, rank=1)
    TopTrackFactory.create(user=alice, track=tracks["Slow Tide"], time_range=TimeRange.SHORT, rank=1)

    affinity = recall.artist_affinity(user=alice)

    assert affinity[artist("Luma").pk] > affinity[artist("Solar Kids").pk]


def test_affinity_drops_rejected_artists_and_boosts_asked_for_ones(alice_history):
    FollowedArtistFactory.create(user=alice_history, artist=artist("Solar Kids"))
    for name, liked in (("Solar Kids", False), ("Desk Plant", True)):
        TastePreferenceFactory.create(
            user=alice_history, kind=TastePreference.Kind.ARTIST, value=artist(name).spotify_id, liked=liked
        )

    affinity = recall.artist_affinity(user=alice_history)

    assert artist("Solar Kids").pk not in affinity
    assert affinity[artist("Desk Plant").pk] == recall.LIKED_ARTIST_BOOST  # no history, asked for


def test_cooccurrence_finds_playlist_neighbours_and_never_reads_others_playlists(alice, charlie, tracks):
    play(alice, tracks["Rainy Window"], days_ago=1)
    PlaylistFactory.create(tracks=[tracks["Rainy Window"], tracks["Grey Morning"], tracks["Paper Boats"]])
    big = [tracks[name] for name in ("Rainy Window", "Sunburst", "Riot Engine", "Fist Up", "Happy Feet")]
    PlaylistFactory.create(tracks=[*big, tracks["Road Trip"], tracks["Summer Crush"]])
    PlaylistFactory.create(owner=charlie, tracks=[tracks["Rainy Window"], tracks["Moonlit Sonata"]])

    found = dict(recall.cooccurring_tracks(user=alice))

    assert found[tracks["Grey Morning"].pk] == 1.0
    assert found[tracks["Grey Morning"].pk] > found[tracks["Sunburst"].pk] > 0
    assert tracks["Rainy Window"].pk not in found, "a known track is no neighbour"
    assert tracks["Moonlit Sonata"].pk not in found, "Charlie's playlists are Charlie's"


def test_popular_pool_blends_catalog_popularity_playlists_and_listeners_here(alice, charlie, tracks):
    Track.objects.update(popularity=50)
    Track.objects.filter(pk=tracks["Sunburst"].pk).update(popularity=100)
    PlaylistFactory.create(tracks=[tracks["Happy Feet"], tracks["Neon Smiles"]])
    PlaylistFactory.create(tracks=[tracks["Happy Feet"]])
    play(alice, tracks["Neon Smiles"], days_ago=1)
    play(charlie, tracks["Tea at Dawn"], days_ago=2)
    play(charlie, tracks["Road Trip"], days_ago=60)  # too long ago to count

    pool = recall.popular_pool(limit=5)

    names = [Track.objects.get(pk=pk).name for pk, _ in pool]
    assert names[:4] == ["Sunburst", "Neon Smiles", "Happy Feet", "Tea at Dawn"]
    assert [score for _, score in pool] == sorted((score for _, score in pool), reverse=True)
    assert len(recall.popular_pool(limit=3)) == 3


def test_known_and_disliked_tracks_never_become_candidates(alice_history, tracks):
    alice = alice_history
    FeedbackFactory.create(user=alice, track=tracks["Sunburst"], kind=Feedback.Kind.DISLIKE)
    for kind, value in (
        (TastePreference.Kind.TRACK, tracks["Happy Feet"].spotify_id),
        (TastePreference.Kind.ARTIST, artist("Elm & Ash").spotify_id),
        (TastePreference.Kind.GENRE, "Metal"),
    ):
        TastePreferenceFactory.create(user=alice, kind=kind, value=value, liked=False)
    PlaylistFactory.create(tracks=[tracks["Rainy Window"], tracks["Grey Morning"], tracks["Quiet Harbour"]])

    report = recall.recall_candidates_for_user(user=alice)

    names = set(Candidate.objects.filter(user=alice).values_list("track__name", flat=True))
    never = {"Rainy Window", "Riot Engine", "Sunburst", "Happy Feet", "Grey Morning", "Paper Boats"}
    assert names and not names & never
    assert "Burn It Down" not in names, "metal was rejected"
    assert "Quiet Harbour" in names and report.per_source == {"artists": 3, "cooccurrence": 1, "popular": 17}
    quiet = Candidate.objects.get(user=alice, track__name="Quiet Harbour")
    assert quiet.sources == ["artists", "cooccurrence", "popular"]
    assert quiet.reason == "by Nora Vale, whom you follow"
    assert Candidate.objects.get(user=alice, track__name="Neon Smiles").reason.startswith("by Coral, one of")


def test_a_second_recall_rewrites_the_same_rows_and_drops_what_fell_out(alice_history, tracks):
    first = recall.recall_candidates_for_user(user=alice_history)
    rows = candidate_rows(alice_history)
    FeedbackFactory.create(user=alice_history, track=tracks["Quiet Harbour"], kind=Feedback.Kind.DISLIKE)

    second = recall.recall_candidates_for_user(user=alice_history)

    assert second.candidates == first.candidates - 1 and second.removed == 1
    assert candidate_rows(alice_history) == [row for row in rows if row[0] != tracks["Quiet Harbour"].pk]
    assert recall.recall_candidates_for_user(user=alice_history).removed == 0


def test_recall_is_bounded_and_shares_the_bound_between_sources(alice_history, tracks):
    PlaylistFactory.create(tracks=[tracks["Rainy Window"], tracks["Grey Morning"], tracks["Paper Boats"]])

    report = recall.recall_candidates_for_user(user=alice_history, max_candidates=6)

    assert report.candidates == Candidate.objects.filter(user=alice_history).count() == 6
    assert all(count >= 2 for count in report.per_source.values()), report.per_source


def test_a_listener_without_history_gets_popular_tracks_across_genres(charlie, tracks, monkeypatch):
    Track.objects.filter(genre__in=["pop", "dance"]).update(popularity=99)  # five hits in two genres
    monkeypatch.setattr(recall, "COLD_START_LIMIT", 4)

    report = recall.recall_candidates_for_user(user=charlie)

    assert report.cold_start and report.spotify_calls == 0 and report.candidates == 4
    assert not recall.has_listening_history(user=charlie)
    candidates = list(Candidate.objects.filter(user=charlie).select_related("track"))
    assert all(c.sources == ["popular"] and "while we learn your taste" in c.reason for c in candidates)
    assert len({c.track.genre for c in candidates}) == 4, "popular, but varied"
    assert {"pop", "dance"} <= {c.track.genre for c in candidates}


def test_listeners_with_stale_or_no_candidates_are_due(alice, charlie, tracks):
    recall.recall_candidates_for_user(user=alice)
    recall.recall_candidates_for_user(user=charlie)
    Candidate.objects.filter(user=charlie).update(fetched_at=timezone.now() - timedelta(hours=13))
    newcomer = UserFactory.create(email="newcomer@example.com")

    assert recall.users_due_for_recall() == [charlie.pk, newcomer.pk]
    with mock.patch.object(recall_candidates, "delay") as delay:
        assert recall_due_candidates() == 2
    assert sorted(call.args[0] for call in delay.call_args_list) == [charlie.pk, newcomer.pk]


# --- against the emulator, with the demo catalog it serves --------------------------------------


@pytest.fixture
def malik_synced(spotify_at, alice):
    demo_catalog_load()
    consented_link(spotify_at, alice, listener=MALIK)
    services.library_sync(user=alice)
    return alice


def test_recall_for_a_linked_listener_makes_a_bounded_number_of_spotify_calls(spotify_at, malik_synced):
    before = spotify_at.requests_made()

    report = recall.recall_candidates_for_user(user=malik_synced)

    assert report.spotify_calls == spotify_at.requests_made() - before
    assert recall.MAX_SPOTIFY_ARTISTS < report.spotify_calls <= recall.SPOTIFY_CALL_BUDGET + 1
    assert not report.cold_start and report.spotify_error == ""
    assert all(report.per_source[source] > 0 for source in ("artists", "cooccurrence", "popular"))
    assert report.candidates == Candidate.objects.filter(user=malik_synced).count() <= 1500
    known = recall.known_track_ids(user=malik_synced)
    assert not Candidate.objects.filter(user=malik_synced, track_id__in=known).exists()


def test_artist_tracks_stop_asking_spotify_when_the_budget_is_spent(spotify_at, malik_synced):
    client = services.spotify_client_for(user=malik_synced)
    affinity = recall.artist_affinity(user=malik_synced)

    found = recall.artist_tracks(user=malik_synced, affinity=affinity, client=client, call_budget=4)

    assert 1 <= client.calls <= 4 + 1  # the last album may take a second page
    assert found and all(0 < score <= 1 and reason.startswith("by ") for _, score, reason in found)


def test_a_rate_limited_recall_comes_back_after_retry_after(spotify_at, malik_synced):
    spotify_at.fault(status=429, count=1, retry_after=3600)
    with pytest.raises(SpotifyRateLimited):
        recall.recall_candidates_for_user(user=malik_synced)
    assert not Candidate.objects.filter(user=malik_synced).exists()

    spotify_at.fault(status=429, count=1, retry_after=3600)
    with mock.patch("recommender.tasks.retry_delay", wraps=retry_delay) as delay:
        result = recall_candidates.apply(args=[malik_synced.pk])  # eager: the retry runs at once

    assert result.successful() and result.result["candidates"] > 0
    delay.assert_called_once_with(0, retry_after=3600)


def test_a_finished_sync_queues_a_recall(spotify_at, alice, django_capture_on_commit_callbacks):
    consented_link(spotify_at, alice, listener=MALIK)
    with (
        mock.patch.object(recall_candidates, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sync_library.apply(args=[alice.pk])

    delay.assert_called_once_with(alice.pk)
