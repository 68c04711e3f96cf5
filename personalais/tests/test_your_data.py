"""Take it with you, or leave: the archive holds all of a listener's data and nothing secret;
deleting the account leaves nothing of theirs in any table, and nobody else's is touched."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialToken
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.test.utils import isolate_apps
from django.urls import reverse

from accounts.models import User
from catalog.models import Artist, Track
from chat.models import Conversation, Message, MoodReading
from personalais import your_data
from personalais.asgi import application
from personalais.your_data import (
    EXPORTED,
    NOT_EXPORTED,
    OPTIONAL_MODELS,
    account_delete,
    models_holding_user_data,
    models_not_accounted_for,
    user_paths,
)
from spotify.models import DataImport, PlaylistWrite, PlaySource
from spotify.tokens import TokenGrant, link_save
from tests.factories import (
    ArtistFactory,
    CandidateFactory,
    FeedbackFactory,
    FollowedArtistFactory,
    LibrarySyncFactory,
    ListenerSettingsFactory,
    PlayFactory,
    PlaylistFactory,
    RankingWeightsFactory,
    ServedItemFactory,
    ServedListFactory,
    TastePreferenceFactory,
    TopArtistFactory,
    TopTrackFactory,
    TrackFactory,
)

DELETED = "Your account and everything in it has been deleted."
OPTIONAL_SECTIONS = [EXPORTED[label] for label in OPTIONAL_MODELS]


@pytest.fixture
def fresh_counts():
    cache.clear()  # wrong passwords are counted in the cache, which outlives a test
    yield
    cache.clear()


def listener_world(user: User, tag: str) -> Client:
    """A row in every table that references listeners; returns a client logged in as ``user``."""
    track = TrackFactory.create(
        name=f"Rainy Window {tag}", artists=[ArtistFactory.create(name=f"Nora {tag}")]
    )
    ListenerSettingsFactory.create(user=user, allow_explicit=False)
    TastePreferenceFactory.create(user=user, value=f"jazz-{tag}")
    conversation = Conversation.objects.create(user=user)
    said = Message.objects.create(conversation=conversation, role="user", text=f"I feel blue ({tag})")
    MoodReading.objects.create(
        message=said, label="fear", perceived_label="sadness", valence=-0.6, arousal=0.4, confidence=1.0,
        corrected_at=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    card = {"kind": "pick", "spotify_id": track.spotify_id, "name": track.name, "artists": [f"Nora {tag}"]}
    Message.objects.create(
        conversation=conversation, role="assistant", text=f"Try this ({tag})", tracks=[card]
    )
    served = ServedListFactory.create(user=user, request_text=f"something calm {tag}")
    item = ServedItemFactory.create(
        served=served, track=track, position=0, parts={"emotion": 0.7}, explanation=f"calm like you {tag}"
    )
    FeedbackFactory.create(user=user, track=track, item=item)
    CandidateFactory.create(user=user, track=track, reason=f"by Nora {tag}")
    link_save(
        user=user,
        spotify_user_id=f"spotify-{tag}",
        grant=TokenGrant(f"access-secret-{tag}", f"refresh-secret-{tag}", 3600, "user-top-read streaming"),
    )
    LibrarySyncFactory.create(user=user)
    PlayFactory.create(user=user, track=track)
    PlayFactory.create(user=user, track=track, source=PlaySource.IMPORT, ms_played=31_000, skipped=True)
    TopTrackFactory.create(user=user, track=track)
    TopArtistFactory.create(user=user)
    FollowedArtistFactory.create(user=user)
    playlist = PlaylistFactory.create(owner=user, name=f"Mine {tag}", tracks=[track])
    PlaylistWrite.objects.create(
        user=user, playlist=playlist, name=playlist.name, action="added", track_spotify_ids=[track.spotify_id]
    )
    address = EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    EmailConfirmation.create(address)
    account = SocialAccount.objects.create(
        user=user, provider="spotify", uid=f"spotify-{tag}", extra_data={"country": "SE"}
    )
    SocialToken.objects.create(account=account, token=f"social-secret-{tag}")
    LogEntry.objects.create(user=user, action_flag=ADDITION, object_repr=f"thing {tag}")
    RankingWeightsFactory.create(created_by=user, note=f"tuned by {tag}")
    user.groups.add(Group.objects.create(name=f"group {tag}"))
    user.user_permissions.add(Permission.objects.order_by("id")[0])
    for label in OPTIONAL_MODELS:  # tables another change is adding: rows only where they exist
        model = _optional_model(label)
        if model is not None:
            artist = ArtistFactory.create(name=f"Imported {tag}")
            required: dict[object, models.Model] = {User: user, Track: track, Artist: artist}
            model._default_manager.create(
                **{
                    field.name: required[field.related_model]
                    for field in model._meta.concrete_fields
                    if field.is_relation and not field.null
                }
            )
    client = Client()
    client.force_login(user)
    return client


def _optional_model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def rows_of(user_id: int) -> dict[str, set[int]]:
    """The pks of every row reaching ``user_id`` through foreign keys, per model (empty ones left out)."""
    found: dict[str, set[int]] = {}
    for model in models_holding_user_data():
        query = models.Q()
        for path in user_paths(model):
            query |= models.Q(**{path.lookup: user_id})
        pks = set(model._base_manager.filter(query).values_list("pk", flat=True))
        if pks:
            found[model._meta.label] = pks
    return found


def sessions_of(user_id: int) -> list[str]:
    return [s.session_key for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user_id)]


def download(client):
    response = client.post(reverse("your_data_export"))
    return response, b"".join(response.streaming_content)


# --- Every table is accounted for ----------------------------------------------------------------


def test_every_model_that_reaches_a_listener_is_exported_or_excused_with_a_reason():
    assert models_not_accounted_for() == []


def test_the_lists_name_only_real_models():
    for label in {**EXPORTED, **NOT_EXPORTED}:
        if label in OPTIONAL_MODELS:
            continue
        apps.get_model(label)  # raises LookupError for a stale name


@isolate_apps("personalais")
def test_a_new_table_of_listener_data_that_nobody_exports_is_caught():
    class Diary(models.Model):
        writer = models.ForeignKey(User, on_delete=models.CASCADE)

        class Meta:
            app_label = "personalais"

        def __str__(self) -> str:
            return "a diary"

    class DiaryPage(models.Model):
        diary = models.ForeignKey(Diary, on_delete=models.CASCADE)

        class Meta:
            app_label = "personalais"

        def __str__(self) -> str:
            return "a page"

    assert models_not_accounted_for([Diary, DiaryPage, *apps.get_models()]) == [
        "personalais.Diary",
        "personalais.DiaryPage",
    ]
    assert [path.lookup for path in user_paths(DiaryPage)] == ["diary__writer"]


# --- The page ------------------------------------------------------------------------------------


def test_the_page_says_what_we_hold_and_offers_export_and_deletion(alice, charlie):
    client = listener_world(alice, "a")
    listener_world(charlie, "c")
    page = client.get("/account/data/").content.decode()
    assert "Plays imported</b>: 1" in page
    assert "Messages</b>: 2" in page
    assert "Spotify</b>: connected" in page
    assert 'action="/account/data/export/"' in page
    assert 'href="/accounts/delete/"' in page
    assert 'href="/account/data/"' in client.get(reverse("recommender:preferences")).content.decode()


@pytest.mark.django_db
def test_the_pages_need_a_login():
    client = Client()
    for method, path in (
        ("get", "/account/data/"),
        ("post", "/account/data/export/"),
        ("post", "/accounts/delete/"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Export --------------------------------------------------------------------------------------


def test_the_archive_is_a_dated_json_download_of_everything_held_and_nothing_secret(alice, charlie):
    client = listener_world(alice, "a")
    listener_world(charlie, "c")
    raw_tokens = _raw_tokens(alice.pk)
    response, body = download(client)

    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="personalais-')
    assert response["Content-Disposition"].endswith('.json"')
    archive = json.loads(body.decode("utf-8"))
    for section in (
        "exported_at", "profile", "listener_settings", "tastes", "feedback", "conversations", "served_lists",
        "candidates", "playlist_writes", "playlists", "plays", "top_tracks", "top_artists",
        "followed_artists", "library_sync", *OPTIONAL_SECTIONS,
    ):  # fmt: skip
        assert section in archive, section
        if section not in OPTIONAL_SECTIONS:
            assert archive[section], f"{section} is empty"

    for label in OPTIONAL_MODELS:
        if _optional_model(label) is not None:
            assert len(archive[EXPORTED[label]]) == 1, label
    if _optional_model("spotify.DataImport") is not None:
        assert "uploads" not in archive["data_imports"][0]  # the stored files' paths stay out
    if _optional_model("spotify.ImportedTrack") is not None:
        assert archive["imported_tracks"][0]["track"]["name"] == "Rainy Window a"
    if _optional_model("spotify.ImportedArtist") is not None:
        assert archive["imported_artists"][0]["artist"]["name"] == "Imported a"

    profile = archive["profile"]
    assert profile["email"] == "alice@example.com" and profile["display_name"] == "Alice"
    assert profile["email_addresses"] == [{"email": "alice@example.com", "verified": True, "primary": True}]
    assert profile["spotify"]["linked"] is True
    assert profile["spotify"]["spotify_user_id"] == "spotify-a"
    assert profile["spotify"]["scope"] == "user-top-read streaming"
    assert profile["spotify"]["connected_at"]
    assert archive["listener_settings"]["allow_explicit"] is False

    [conversation] = archive["conversations"]
    said, reply = conversation["messages"]
    assert said["text"] == "I feel blue (a)" and said["role"] == "user"
    assert said["mood"]["label"] == "fear" and said["mood"]["perceived_label"] == "sadness"
    assert said["mood"]["corrected"] is True and said["mood"]["valence"] == -0.6
    assert reply["mood"] is None and reply["track_cards"][0]["name"] == "Rainy Window a"

    [served] = archive["served_lists"]
    assert served["request_text"] == "something calm a"
    [item] = served["items"]
    assert item["track"]["artists"] == ["Nora a"] and item["parts"] == {"emotion": 0.7}
    assert item["explanation"] == "calm like you a"
    assert archive["feedback"][0]["track"]["name"] == "Rainy Window a"
    assert archive["feedback"][0]["served_list_id"] == served["id"]
    assert {play["source"] for play in archive["plays"]} == {"spotify", "import"}
    imported = next(play for play in archive["plays"] if play["source"] == "import")
    assert imported["ms_played"] == 31_000 and imported["skipped"] is True
    assert imported["track"]["name"] == "Rainy Window a"
    assert archive["playlists"][0]["tracks"][0]["track"]["name"] == "Rainy Window a"
    assert archive["playlist_writes"][0]["playlist_spotify_id"]

    text = body.decode("utf-8")
    for secret in ("access-secret-a", "refresh-secret-a", "social-secret-a", *raw_tokens):
        assert secret not in text
    for theirs in ("(c)", "Nora c", "jazz-c", "spotify-c", "charlie@"):
        assert theirs not in text


def test_the_archive_is_written_in_pieces_and_still_parses(alice, monkeypatch):
    monkeypatch.setattr(your_data, "FRAGMENT_CHARS", 1000)
    monkeypatch.setattr(your_data, "CHUNK_ROWS", 7)
    track = TrackFactory.create(name="Ünïcode “quoted” track")
    for _ in range(60):
        PlayFactory.create(user=alice, track=track, source=PlaySource.IMPORT)
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("your_data_export"))
    pieces = list(response.streaming_content)
    assert len(pieces) > 5
    archive = json.loads(b"".join(pieces).decode("utf-8"))
    assert len(archive["plays"]) == 60
    assert archive["plays"][0]["track"]["name"] == "Ünïcode “quoted” track"


def test_the_archive_holds_empty_import_sections_where_the_import_tables_do_not_exist(alice, monkeypatch):
    monkeypatch.setattr(your_data, "_optional_model", lambda label: None)
    client = Client()
    client.force_login(alice)
    archive = json.loads(download(client)[1])
    assert all(archive[section] == [] for section in OPTIONAL_SECTIONS)
    assert archive["profile"]["spotify"]["linked"] is False


def test_export_is_a_post(alice):
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("your_data_export")).status_code == 405


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_archive_streams_from_the_database_piece_by_piece(
    alice, async_client, monkeypatch
):
    monkeypatch.setattr(your_data, "FRAGMENT_CHARS", 500)
    await database_sync_to_async(
        lambda: [PlayFactory.create(user=alice, source=PlaySource.IMPORT) for _ in range(30)]
    )()
    await async_client.aforce_login(alice)
    response = await async_client.post(reverse("your_data_export"))
    assert response.is_async  # a plain generator would be read whole before the first byte
    pieces = [piece async for piece in response.streaming_content]
    assert len(pieces) > 3
    assert len(json.loads(b"".join(pieces))["plays"]) == 30


# --- Deletion ------------------------------------------------------------------------------------


def test_deleting_leaves_nothing_of_theirs_in_any_table_and_everyone_elses_intact(alice, charlie):
    listener_world(alice, "a")
    listener_world(charlie, "c")
    alice_id, charlie_id = alice.pk, charlie.pk
    alices, charlies = rows_of(alice_id), rows_of(charlie_id)
    # The world reaches every table that references listeners: a new one must be seeded above.
    assert {model._meta.label for model in models_holding_user_data()} == alices.keys()
    raw_tokens = _raw_tokens(alice_id)
    assert sessions_of(alice_id) and sessions_of(charlie_id)

    account_delete(user=alice)

    connection.check_constraints()  # no row anywhere still points at a deleted one
    assert not User.objects.filter(pk=alice_id).exists()
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        for path in user_paths(model):
            assert not model._base_manager.filter(**{path.lookup: alice_id}).exists(), (
                f"{label}.{path.lookup}"
            )
            if path.cascades:  # set-null links (an admin's authorship) keep the row, not the link
                assert not model._base_manager.filter(pk__in=alices.get(label, ())).exists(), label
    assert rows_of(charlie_id) == charlies
    assert sessions_of(alice_id) == [] and sessions_of(charlie_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM spotify_spotifylink AS t")
        table = " ".join(row[0] for row in cursor.fetchall())
    assert table and all(token not in table for token in raw_tokens)


def test_a_password_listener_confirms_with_their_password_and_lands_logged_out(alice, charlie, fresh_counts):
    client = listener_world(alice, "a")
    other = listener_world(charlie, "c")
    page = client.get("/accounts/delete/")
    assert page.status_code == 200
    assert 'type="password"' in page.content.decode()
    assert "stay on Spotify" in page.content.decode()

    response = client.post("/accounts/delete/", {"confirm": "correct horse battery"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert DELETED in response.content.decode()
    assert not User.objects.filter(email="alice@example.com").exists()
    assert client.get("/account/data/").status_code == 302  # logged out
    assert other.get("/account/data/").status_code == 200  # charlie is not


def test_a_wrong_confirmation_deletes_nothing_and_says_why(alice, fresh_counts):
    client = listener_world(alice, "a")
    response = client.post("/accounts/delete/", {"confirm": "alice@example.com"})
    assert response.status_code == 400
    assert "not your current password" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()
    assert client.post("/accounts/delete/", {}).status_code == 400
    assert client.get("/accounts/delete/").status_code == 200  # still logged in


def test_guessing_the_password_to_delete_is_throttled(alice, fresh_counts):
    client = Client()
    client.force_login(alice)
    for _ in range(10):
        assert client.post("/accounts/delete/", {"confirm": "guess"}).status_code == 400
    throttled = client.post("/accounts/delete/", {"confirm": "correct horse battery"})
    assert throttled.status_code == 429 and "Too many tries" in throttled.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_spotify_only_listener_confirms_with_their_email(charlie):
    charlie.set_unusable_password()
    charlie.save()
    client = Client()
    client.force_login(charlie)
    assert 'type="email"' in client.get("/accounts/delete/").content.decode()
    wrong = client.post("/accounts/delete/", {"confirm": "alice@example.com"})
    assert wrong.status_code == 400 and "email address; nothing was deleted" in wrong.content.decode()
    response = client.post("/accounts/delete/", {"confirm": "  Charlie@Example.com "})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=charlie.pk).exists()


@pytest.mark.django_db(transaction=True)
async def test_a_deleted_listeners_open_chat_socket_stops_acting(alice):
    client = Client()
    await database_sync_to_async(client.force_login)(alice)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.receive_json_from(timeout=10)  # history

    await database_sync_to_async(account_delete)(user=alice)
    await communicator.send_json_to({"type": "message", "text": "still there?"})

    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    assert not await database_sync_to_async(Message.objects.filter(text="still there?").exists)()


def _raw_tokens(user_id: int) -> list[str]:
    """The ciphertexts as stored, read past the field that decrypts them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM spotify_spotifylink WHERE user_id = %s", [user_id]
        )
        row = cursor.fetchone()
    assert row and all(value.startswith("gAAAA") for value in row)  # Fernet tokens, not plain text
    return list(row)


@pytest.mark.django_db
def test_deleting_an_account_removes_the_downloads_still_waiting_for_the_worker(
    alice, charlie, settings, tmp_path
):
    settings.SPOTIFY_IMPORT_DIR = str(tmp_path)
    mine, theirs = tmp_path / "mine.zip", tmp_path / "theirs.zip"
    for path in (mine, theirs):
        path.write_bytes(b"PK\x03\x04 waiting")
    DataImport.objects.create(user=alice, uploads=[{"name": "my_spotify_data.zip", "stored": mine.name}])
    DataImport.objects.create(user=charlie, uploads=[{"name": "my_spotify_data.zip", "stored": theirs.name}])
    account_delete(user=alice)
    assert not mine.exists() and theirs.exists()
