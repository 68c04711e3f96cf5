"""Album covers on track cards: a served pick carries its album's cover, one without gets it looked
up after the list is stored, and history shows covers found after a message was stored."""

from __future__ import annotations

import threading
from unittest import mock

import numpy as np
import pytest

from catalog.models import Album
from chat.cards import TrackCard, cards_stored
from recommender import services as recommender_services
from recommender.cover_asks import CoverAsks
from recommender.services import recommend_tracks
from spotify.tasks import album_art_fill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_asked_yet(monkeypatch):
    """Each test starts as a fresh web process would: no cover asked for yet."""
    monkeypatch.setattr(recommender_services, "_covers_asked", {})


def cover(album_id: int) -> str:
    return f"https://i.scdn.co/image/cover-{album_id}"


def calm_picks(user, count: int = 4):
    return recommend_tracks(
        user=user, label="calm", valence=0.3, arousal=-0.4, count=count, rng=np.random.default_rng(0)
    )


def test_a_served_pick_carries_its_albums_cover_on_its_card(
    alice, small_catalog, django_capture_on_commit_callbacks
):
    for album in Album.objects.all():
        Album.objects.filter(pk=album.pk).update(image_url=cover(album.pk))

    with mock.patch.object(album_art_fill, "apply_async") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            picks = calm_picks(alice)
        assert recommender_services.cover_asks.flush() == []

    assert picks
    albums = {t.pk: t.album_id for t in small_catalog}
    assert [pick.image for pick in picks] == [cover(albums[pick.track_id]) for pick in picks]
    stored = cards_stored(TrackCard.from_pick(pick) for pick in picks)
    assert [card["image"] for card in stored] == [pick.image for pick in picks]
    delay.assert_not_called()  # every album has its cover: nothing to look up


def test_picks_without_a_cover_are_looked_up_after_the_list_is_stored(
    alice, small_catalog, django_capture_on_commit_callbacks
):
    with mock.patch.object(album_art_fill, "apply_async") as delay:
        with django_capture_on_commit_callbacks(execute=True):  # the list commits, then asks
            picks = calm_picks(alice)
        recommender_services.cover_asks.flush()  # the batch would go out within a second

    assert picks and all(pick.image == "" for pick in picks)
    assert all("image" not in card for card in cards_stored(TrackCard.from_pick(pick) for pick in picks))
    delay.assert_called_once()
    assert delay.call_args.args == ((sorted(pick.track_id for pick in picks),),)


def test_a_cover_is_asked_for_once_in_a_while_not_on_every_list():
    now = 1000.0
    assert recommender_services.covers_to_ask([1, 2], now=now) == [1, 2]
    assert recommender_services.covers_to_ask([2, 3], now=now + 1) == [3]  # 2 was asked a moment ago
    later = now + recommender_services.COVER_ASK_AGAIN_SECONDS + 2
    assert recommender_services.covers_to_ask([1, 2, 3], now=later) == [1, 2, 3]


def test_cover_asks_from_many_lists_go_to_the_worker_together_within_a_second():
    sent: list[list[int]] = []
    done = threading.Event()
    asks = CoverAsks(lambda ids: (sent.append(ids), done.set()), delay=2.0)

    asks.add([3, 1])
    asks.add([2, 3])
    assert sent == []  # not one message per list

    assert done.wait(10)
    assert sent == [[1, 2, 3]]
    asks.add([4])
    assert asks.flush() == [4] and sent == [[1, 2, 3], [4]]


def test_a_broker_that_is_away_costs_only_the_covers():
    def broker_down(ids: list[int]) -> None:
        raise ConnectionError("broker away")

    asks = CoverAsks(broker_down, delay=60)
    asks.add([7])

    assert asks.flush() == [7]  # logged, not raised
    assert asks.flush() == []
