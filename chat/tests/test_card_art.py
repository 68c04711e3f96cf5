"""Album covers on track cards: a served pick carries its album's cover, one without gets it looked
up after the list is stored, and history shows covers found after a message was stored."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from catalog.models import Album
from chat.cards import TrackCard, cards_stored
from chat.selectors import conversation_messages
from recommender.services import recommend_tracks
from spotify.tasks import album_art_fill
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


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

    with (
        mock.patch.object(album_art_fill, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        picks = calm_picks(alice)

    assert picks
    albums = {t.pk: t.album_id for t in small_catalog}
    assert [pick.image for pick in picks] == [cover(albums[pick.track_id]) for pick in picks]
    stored = cards_stored(TrackCard.from_pick(pick) for pick in picks)
    assert [card["image"] for card in stored] == [pick.image for pick in picks]
    delay.assert_not_called()  # every album has its cover: nothing to look up


def test_picks_without_a_cover_are_looked_up_after_the_list_is_stored(
    alice, small_catalog, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(album_art_fill, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        picks = calm_picks(alice)

    assert picks and all(pick.image == "" for pick in picks)
    assert all("image" not in card for card in cards_stored(TrackCard.from_pick(pick) for pick in picks))
    delay.assert_called_once_with([pick.track_id for pick in picks])


def stored_cards(tracks, **extra) -> list[dict]:
    return [
        {"kind": "named", "track_id": t.pk, "spotify_id": t.spotify_id, "name": t.name, **extra}
        for t in tracks
    ]


def test_history_shows_a_cover_found_after_the_message_was_stored(alice, small_catalog):
    first, second, third = list({t.album_id: t for t in small_catalog}.values())[:3]  # three albums
    conversation = ConversationFactory.create(user=alice)
    MessageFactory.create(
        conversation=conversation, role="assistant", tracks=stored_cards([first, second, third])
    )
    Album.objects.filter(pk__in=[first.album_id, second.album_id]).update(
        image_url="https://i.scdn.co/image/x"
    )

    (message,) = conversation_messages(user=alice)

    assert [card.image for card in message.tracks] == ["https://i.scdn.co/image/x"] * 2 + [""]


def test_a_card_stored_with_a_cover_keeps_it(alice, small_catalog):
    conversation = ConversationFactory.create(user=alice)
    track = small_catalog[0]
    kept = "https://i.scdn.co/image/the-one-it-was-sent-with"
    MessageFactory.create(
        conversation=conversation, role="assistant", tracks=stored_cards([track], image=kept)
    )
    Album.objects.filter(pk=track.album_id).update(image_url=cover(track.album_id))

    (message,) = conversation_messages(user=alice)

    assert message.tracks[0].image == kept


@pytest.mark.parametrize("messages", [1, 6])
def test_covers_in_history_cost_no_query_per_message(
    alice, small_catalog, messages, django_assert_num_queries
):
    conversation = ConversationFactory.create(user=alice)
    for n in range(messages):
        tracks = small_catalog[(n * 4) % len(small_catalog) :][:4]
        MessageFactory.create(conversation=conversation, role="assistant", tracks=stored_cards(tracks))
    Album.objects.update(image_url="https://i.scdn.co/image/late")

    with django_assert_num_queries(2):  # the conversation, its messages with their cards' covers
        shown = conversation_messages(user=alice)

    assert len(shown) == messages
    assert all(card.image == "https://i.scdn.co/image/late" for message in shown for card in message.tracks)


def test_a_cover_that_is_not_a_web_address_is_not_shown():
    card = TrackCard(spotify_id="sp1", name="Song", kind="named", image="javascript:alert(1)")
    assert card.image == "" and "image" not in card.stored()


def test_odd_stored_rows_do_not_break_reading_covers(alice, small_catalog):
    conversation = ConversationFactory.create(user=alice)
    MessageFactory.create(conversation=conversation, role="assistant", tracks={"not": "a list"})
    MessageFactory.create(conversation=conversation, role="assistant", tracks=["junk", 3, None])
    MessageFactory.create(conversation=conversation, role="assistant", tracks=stored_cards(small_catalog[:1]))
    Album.objects.update(image_url="https://i.scdn.co/image/late")

    shown = conversation_messages(user=alice)

    assert [len(m.tracks) for m in shown] == [0, 0, 1] and shown[2].tracks[0].image.endswith("/late")
