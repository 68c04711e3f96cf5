from __future__ import annotations

import numpy as np
import pytest

from accounts.models import User
from catalog.models import Playlist, PlaylistItem
from recommender.evaluation.catalog import CatalogView
from recommender.evaluation.continuation import CaseState, continuation_run, continuation_table
from recommender.evaluation.metrics import holdout_split
from recommender.evaluation.sandbox import EVAL_EMAIL_DOMAIN, history_store, throwaway_user
from recommender.models import Candidate
from recommender.recall import cooccurring_tracks, recall_candidates_for_user
from spotify.models import Play, TopTrack
from tests.factories import PlaylistFactory


@pytest.fixture
def catalog_playlists(small_catalog):
    """Three disjoint catalog playlists of 8 tracks, so a hidden track lives in one playlist only."""
    return [
        PlaylistFactory.create(tracks=small_catalog[number * 8 : (number + 1) * 8]) for number in range(3)
    ]


def _cooccurring_ids(user) -> set[int]:
    return {track_id for track_id, _ in cooccurring_tracks(user=user)}


def test_without_the_leak_guard_the_hidden_tracks_would_cooccur(catalog_playlists):
    items = list(
        PlaylistItem.objects.filter(playlist=catalog_playlists[0]).values_list("track_id", flat=True)
    )
    visible, hidden = holdout_split(items, fraction=0.2, rng=np.random.default_rng(0))
    user = throwaway_user("control")
    history_store(user, visible)

    assert set(hidden) <= _cooccurring_ids(user)


def test_continuation_keeps_hidden_tracks_out_of_history_and_cooccurrence(catalog_playlists):
    items_before = sorted(PlaylistItem.objects.values_list("playlist_id", "track_id", "position"))
    seen = []

    def inspect(state: CaseState) -> None:
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

    catalog = CatalogView.load()
    run = continuation_run(
        catalog=catalog,
        playlist_ids=[p.pk for p in catalog_playlists],
        seed=0,
        count=10,
        recall=recall_candidates_for_user,
        on_case=inspect,
    )

    assert len(seen) == len(run.cases) == 3
    for case in run.cases:
        assert len(case.hidden) == 2 and len(case.visible) == 6
        assert {"ours", "popularity", "random"} <= set(case.lists)
        assert case.lists["ours"], "the ranker returned nothing"
        for ids in case.lists.values():
            assert not set(ids) & set(case.visible)
    rows = {row[0]: row for row in continuation_table(run)}
    assert all(0.0 <= value <= 1.0 for row in rows.values() for value in row[1:])
    # Everything the cases wrote was rolled back.
    assert sorted(PlaylistItem.objects.values_list("playlist_id", "track_id", "position")) == items_before
    assert Playlist.objects.count() == 3
    assert not User.objects.filter(email__endswith=f"@{EVAL_EMAIL_DOMAIN}").exists()
    assert not Candidate.objects.exists()
