from __future__ import annotations

import json

from django.urls import reverse

from mood.labels import LABELS, MOOD_NAMES


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("chat:chat"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_landing_page_invites_to_sign_up(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("account_signup") in response.content.decode()


def test_a_logged_in_listener_gets_the_chat_page(client, alice):
    client.force_login(alice)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("chat:chat")
    assert 'id="composer"' in response.content.decode()


def test_signing_up_with_email_lands_in_the_chat(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "newlistener@example.com",
            "password1": "a long enough pass 42",
            "password2": "a long enough pass 42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:chat")
    assert client.get(reverse("chat:chat")).status_code == 200


def test_the_chat_page_carries_the_correctable_moods_from_mood_labels(client, alice):
    client.force_login(alice)
    page = client.get(reverse("chat:chat")).content.decode()
    moods = json.loads(page.split('<script id="moods" type="application/json">')[1].split("</script>")[0])
    assert [mood["label"] for mood in moods] == list(LABELS)
    assert {"label": "sadness", "name": MOOD_NAMES["sadness"], "shown": "down / sad"} in moods
