from __future__ import annotations

import math

import numpy as np
import pytest

from mood.target import TargetRegion, target_region
from recommender import evaluation as ev

# --- pure metrics ------------------------------------------------------------------------------


def test_recall_at_k_counts_the_share_of_relevant_items_in_the_top_k():
    assert ev.recall_at_k([1, 2, 3, 4], {2, 5}, 1) == 0.0
    assert ev.recall_at_k([1, 2, 3, 4], {2, 5}, 2) == 0.5
    assert ev.recall_at_k([1, 2, 3, 4], {2, 4}, 10) == 1.0
    assert math.isnan(ev.recall_at_k([1, 2], set(), 2))


def test_ndcg_matches_hand_computed_values():
    # Hits at ranks 2 and 3 of 3; ideal puts two hits at ranks 1 and 2.
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert ev.ndcg_at_k(["a", "b", "c"], {"b", "c"}, 3) == pytest.approx(dcg / ideal)  # 0.6934
    assert ev.ndcg_at_k(["a", "b", "c"], {"b", "c"}, 3) == pytest.approx(0.69342, abs=1e-5)
    # k cuts the ideal too: three relevant but only two slots.
    assert ev.ndcg_at_k(["x", "r1"], {"r1", "r2", "r3"}, 2) == pytest.approx((1 / math.log2(3)) / ideal)
    assert ev.ndcg_at_k(["r1", "r2"], {"r1", "r2"}, 2) == 1.0
    assert ev.ndcg_at_k(["x", "y"], {"r1"}, 2) == 0.0


def test_ndcg_counts_a_repeated_hit_once():
    assert ev.ndcg_at_k(["r", "r"], {"r", "s"}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_region_share_counts_tracks_within_the_width_of_the_centre_and_unknown_as_outside():
    region = TargetRegion(valence=0.5, energy=0.5, width=0.2)
    valence = np.array([0.5, 0.7, 0.9, np.nan])
    energy = np.array([0.5, 0.5, 0.9, 0.5])

    assert list(ev.in_region(valence, energy, region)) == [True, True, False, False]
    assert ev.region_share(valence, energy, region) == 0.5
    assert math.isnan(ev.region_share(np.array([]), np.array([]), region))


def test_jaccard_of_two_lists():
    assert ev.jaccard([1, 2, 3], [2, 3, 4]) == 0.5
    assert ev.jaccard([1, 2], [3, 4]) == 0.0
    assert ev.jaccard([], []) == 1.0


def test_intra_list_distance_is_the_mean_pairwise_cosine_distance():
    e1, e2 = [1.0, 0.0], [0.0, 2.0]  # not unit length: the metric normalises

    assert ev.intra_list_distance(np.array([e1, e2])) == pytest.approx(1.0)
    assert ev.intra_list_distance(np.array([e1, e1])) == pytest.approx(0.0)
    assert ev.intra_list_distance(np.array([e1, e1, e2])) == pytest.approx(2 / 3)
    assert math.isnan(ev.intra_list_distance(np.array([e1])))


def test_holdout_split_hides_a_seeded_fifth_and_keeps_the_order():
    items = list(range(10))

    visible, hidden = ev.holdout_split(items, fraction=0.2, rng=np.random.default_rng(7))

    assert len(hidden) == 2 and len(visible) == 8
    assert sorted(visible + hidden) == items
    assert visible == sorted(visible) and hidden == sorted(hidden)
    assert ev.holdout_split(items, fraction=0.2, rng=np.random.default_rng(7)) == (visible, hidden)
    assert len(ev.holdout_split([1, 2], fraction=0.2, rng=np.random.default_rng(0))[1]) == 1


def test_mood_for_tracks_centres_the_target_region_on_the_tracks_mean_sound():
    valence, arousal = ev.mood_for_tracks([0.6, 0.8, None], [0.2, 0.4, 0.9])

    region = target_region(valence, arousal)
    assert (region.valence, region.energy) == pytest.approx((0.7, 0.3))
    assert ev.mood_for_tracks([], []) == (0.0, 0.0)


def test_artist_names_match_across_accents_case_punctuation_and_a_leading_the():
    assert ev.artist_name_key("Beyoncé") == ev.artist_name_key("beyonce")
    assert ev.artist_name_key("The Killers") == ev.artist_name_key("Killers")
    assert ev.artist_name_key("Earth, Wind & Fire") == ev.artist_name_key("earth wind and fire")
    assert ev.artist_name_key("Muse") != ev.artist_name_key("Mused")


def test_it_reads_lastfm_files_keeping_only_artists_in_the_catalog(tmp_path):
    (tmp_path / "artists.dat").write_text(
        "id\tname\turl\tpictureURL\n1\tBeyoncé\tu\tp\n2\tNobody Here\tu\tp\n3\tThe Killers\tu\tp\n"
    )
    (tmp_path / "user_artists.dat").write_text(
        "userID\tartistID\tweight\n7\t1\t10\n7\t3\t50\n7\t2\t99\n8\t2\t5\n"
    )

    data = ev.lastfm_read(tmp_path, catalog_artists={10: "Beyonce", 11: "Killers"})

    assert data.users == {7: [(11, 50), (10, 10)]}
    assert (data.lastfm_artists, data.matched_artists, data.lastfm_users) == (3, 2, 2)


# --- the continuation runner on a tiny catalog ----------------------------------------------------


@pytest.fixture
def catalog_playlists(small_catalog):
    """Three disjoint catalog playlists of 8 tracks, so a hidden track lives in one playlist only."""
    from catalog.models import Playlist, PlaylistItem

    playlists = []
    for number in range(3):
        playlist = Playlist.objects.create(spotify_id=f"pl-{number}", name=f"Playlist {number}")
        for position, track in enumerate(small_catalog[number * 8 : (number + 1) * 8]):
            PlaylistItem.objects.create(playlist=playlist, track=track, position=position)
        playlists.append(playlist)
    return playlists


def _cooccurring_ids(user) -> set[int]:
    from recommender.recall import cooccurring_tracks

    return {track_id for track_id, _ in cooccurring_tracks(user=user)}


def test_without_the_leak_guard_the_hidden_tracks_would_cooccur(catalog_playlists):
    from catalog.models import PlaylistItem

    items = list(
        PlaylistItem.objects.filter(playlist=catalog_playlists[0]).values_list("track_id", flat=True)
    )
    visible, hidden = ev.holdout_split(items, fraction=0.2, rng=np.random.default_rng(0))
    user = ev.throwaway_user("control")
    ev.history_store(user, visible)

    assert set(hidden) <= _cooccurring_ids(user)


def test_continuation_keeps_hidden_tracks_out_of_history_and_cooccurrence(catalog_playlists):
    from accounts.models import User
    from catalog.models import Playlist, PlaylistItem
    from recommender.models import Candidate
    from spotify.models import Play, TopTrack

    items_before = sorted(PlaylistItem.objects.values_list("playlist_id", "track_id", "position"))
    seen = []

    def inspect(state: ev.CaseState) -> None:
        history = set(Play.objects.filter(user=state.user).values_list("track_id", flat=True))
        history |= set(TopTrack.objects.filter(user=state.user).values_list("track_id", flat=True))
        still_in_playlist = set(
            PlaylistItem.objects.filter(playlist_id=state.playlist_id).values_list("track_id", flat=True)
        )
        seen.append(state)
        assert history == set(state.visible)
        assert not history & set(state.hidden)
        assert not still_in_playlist & set(state.hidden)
        assert not _cooccurring_ids(state.user) & set(state.hidden)

    catalog = ev.CatalogView.load()
    run = ev.continuation_run(
        catalog=catalog,
        playlist_ids=[p.pk for p in catalog_playlists],
        seed=0,
        count=10,
        recall=ev.recall_function(),
        on_case=inspect,
    )

    assert len(seen) == len(run.cases) == 3
    for case in run.cases:
        assert len(case.hidden) == 2 and len(case.visible) == 6
        assert {"ours", "popularity", "random"} <= set(case.lists)
        assert case.lists["ours"], "the ranker returned nothing"
        for ids in case.lists.values():
            assert not set(ids) & set(case.visible)
    rows = {row[0]: row for row in ev.continuation_table(run)}
    assert all(0.0 <= value <= 1.0 for row in rows.values() for value in row[1:])
    # Everything the cases wrote was rolled back.
    assert sorted(PlaylistItem.objects.values_list("playlist_id", "track_id", "position")) == items_before
    assert Playlist.objects.count() == 3
    assert not User.objects.filter(email__endswith=f"@{ev.EVAL_EMAIL_DOMAIN}").exists()
    assert not Candidate.objects.exists()
