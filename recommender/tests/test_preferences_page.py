from __future__ import annotations

import pytest

from recommender.models import Feedback, ListenerSettings, TastePreference
from recommender.services import feedback_record
from tests.factories import TastePreferenceFactory

pytestmark = pytest.mark.django_db

FORM = {"mood_strategy": "lift", "share_artists": 20, "share_cooccurrence": 30, "share_popular": 50}


def test_a_listener_saves_their_strategy_and_source_shares(client, alice):
    client.force_login(alice)
    assert client.get("/preferences/").status_code == 200

    response = client.post("/preferences/", FORM)

    assert response.status_code == 302
    # "Saved" is said beside the Save button after the redirect, and only then.
    assert 'id="saved"' in client.get(response["Location"]).content.decode()
    assert 'id="saved"' not in client.get("/preferences/").content.decode()
    settings = ListenerSettings.objects.get(user=alice)
    assert settings.mood_strategy == "lift"
    assert settings.source_shares == {"artists": 0.2, "cooccurrence": 0.3, "popular": 0.5}


def test_shares_that_do_not_add_up_are_refused_with_a_reason(client, alice):
    client.force_login(alice)
    response = client.post("/preferences/", {**FORM, "share_popular": 10})
    assert response.status_code == 400
    assert "must add up to 100 (they add up to 60)" in response.content.decode()
    assert not ListenerSettings.objects.filter(user=alice).exists()


def test_a_listener_can_forget_only_their_own_tastes(client, alice, charlie):
    mine = TastePreferenceFactory.create(user=alice, value="rap", label="Boom bap", liked=False)
    theirs = TastePreferenceFactory.create(user=charlie, value="pop", label="Hyperpop", liked=True)
    client.force_login(alice)
    page = client.get("/preferences/").content.decode()
    assert "Boom bap" in page and "Hyperpop" not in page

    client.post(f"/preferences/tastes/{theirs.pk}/forget/")
    client.post(f"/preferences/tastes/{mine.pk}/forget/")

    assert list(TastePreference.objects.values_list("user__email", flat=True)) == ["charlie@example.com"]


def test_a_listener_adds_grounded_tastes_by_hand_and_flips_them(client, alice, charlie, small_catalog):
    client.force_login(alice)
    client.post("/preferences/tastes/add/", {"kind": "artist", "value": "nora vale", "liked": "1"})
    client.post("/preferences/tastes/add/", {"kind": "genre", "value": "rap", "liked": "0"})
    client.post("/preferences/tastes/add/", {"kind": "constraint", "value": "no explicit", "liked": "1"})
    response = client.post(
        "/preferences/tastes/add/", {"kind": "artist", "value": "Nobody At All", "liked": "1"}, follow=True
    )
    assert "find an artist called Nobody At All" in response.content.decode()
    stored = set(TastePreference.objects.filter(user=alice).values_list("kind", "label", "liked", "source"))
    assert stored == {
        ("artist", "Nora Vale", True, "settings"),
        ("genre", "rap", False, "settings"),
        ("constraint", "no explicit lyrics", True, "settings"),
    }
    page = client.get("/preferences/").content.decode()
    assert "Nora Vale" in page and "no explicit lyrics" in page

    taste = TastePreference.objects.get(user=alice, kind="genre")
    client.post(f"/preferences/tastes/{taste.pk}/flip/")
    assert TastePreference.objects.get(pk=taste.pk).liked is True

    client.force_login(charlie)
    client.post(f"/preferences/tastes/{taste.pk}/flip/")
    assert TastePreference.objects.get(pk=taste.pk).liked is True  # not Charlie's to change


def test_an_error_in_fine_tuning_opens_that_section_and_is_listed_at_the_top(client, alice):
    client.force_login(alice)
    page = client.post("/preferences/", {**FORM, "alpha_emotion": 40}).content.decode()
    assert 'role="alert"' in page and "Weight of the mood (α)</a>: Use a weight between 0 and 10" in page
    assert "<details open>" in page
    assert "<details open>" not in client.get("/preferences/").content.decode()


def test_votes_are_listed_newest_first_and_can_be_taken_back(client, alice, charlie, small_catalog):
    first, second = small_catalog[0], small_catalog[1]
    feedback_record(user=alice, track_id=first.pk, kind="dislike")
    feedback_record(user=alice, track_id=first.pk, kind="like")  # a changed mind replaces the ✕
    feedback_record(user=alice, track_id=second.pk, kind="dislike")
    feedback_record(user=charlie, track_id=first.pk, kind="dislike")
    client.force_login(alice)
    page = client.get("/preferences/").content.decode()
    votes = page[page.index('id="votes"') :]
    assert votes.index(second.name) < votes.index(first.name)
    assert f'data-track-id="{first.pk}" data-kind="like"' in votes
    assert votes.count("data-kind=") == 2  # Charlie's vote is not Alice's

    client.post(f"/preferences/votes/{first.pk}/forget/")
    assert not Feedback.objects.filter(user=alice, track=first).exists()
    assert Feedback.objects.filter(user=charlie, track=first).exists()
