"""The agent's tools: schemas from argument models, grounding, positions, and acting only for the listener."""

from __future__ import annotations

import random

import pytest

from catalog.demo import demo_catalog_load
from catalog.models import Playlist, Track
from chat.agent.offline import respond_offline
from chat.agent.tools import TOOLS, TurnState, call_tool, tool_schemas
from chat.agent.tools.tracks import grounded, track_card
from chat.cards import TrackCard
from mood.labels import MOODS
from mood.perception import EmotionEstimate
from recommender.models import Feedback, TastePreference
from recommender.services import recommend_tracks
from recommender.tastes import taste_set
from spotify import lookup as grounding
from spotify import services as spotify_services
from spotify.models import SpotifyLink, TopTrack
from tests.emulator import MALIK, consented_link
from tests.factories import ConversationFactory, PlaylistFactory, TrackFactory

pytestmark = pytest.mark.django_db

CALM = EmotionEstimate("sadness", -0.7, -0.4, 0.8)


def state_for(user, text: str = "", shown: list[TrackCard] | None = None) -> TurnState:
    conversation = ConversationFactory.create(user=user)
    return TurnState(user=user, conversation=conversation, text=text, mood=CALM, shown=shown or [])


def test_every_tool_has_a_schema_from_its_argument_model():
    schemas = {schema["function"]["name"]: schema["function"] for schema in tool_schemas()}
    assert set(schemas) == set(TOOLS) and len(schemas) == 13
    create = schemas["create_playlist"]
    assert create["description"].startswith("Create a new playlist")
    assert create["parameters"]["required"] == ["name"]
    assert create["parameters"]["properties"]["positions"] == {
        "type": "array",
        "items": {"type": "integer"},
        "description": "Positions (1-based) in the latest list; empty means the whole list.",
    }
    preference = schemas["set_preference"]["parameters"]
    assert preference["properties"]["kind"]["enum"] == ["artist", "genre", "mood", "constraint"]
    assert preference["required"] == ["kind", "value", "liked"]
    assert all(schema["description"] for schema in schemas.values())


def test_the_mood_argument_offers_the_moods_of_mood_labels_and_reads_words_for_them(alice, small_catalog):
    (recommend,) = [s["function"] for s in tool_schemas() if s["function"]["name"] == "recommend_tracks"]
    assert recommend["parameters"]["properties"]["mood"]["enum"] == list(MOODS)
    state = state_for(alice, "something")
    result = call_tool(state, "recommend_tracks", {"mood": "Happy", "count": 3})
    assert result.data["target"]["label"] == "joy"
    result = call_tool(state, "recommend_tracks", {"mood": "planetary"})
    assert not result.ok and "mood must be one of" in result.summary


def test_every_problem_with_the_arguments_is_said_at_once(alice):
    arguments = {"time_range": "forever", "limit": 2.5, "colour": "red"}
    result = call_tool(state_for(alice), "top_tracks", arguments)
    assert "does not take colour" in result.summary and "time_range must be one of" in result.summary
    assert "limit must be a whole number" in result.summary
    result = call_tool(state_for(alice), "give_feedback", {"position": 5000, "kind": "like"})
    assert "position is out of range" in result.summary
    assert "arguments must be an object" in call_tool(state_for(alice), "list_playlists", ["x"]).summary


def test_unknown_tools_and_arguments_come_back_as_clear_results(alice):
    state = state_for(alice)
    assert not call_tool(state, "delete_account", {}).ok
    result = call_tool(state, "recommend_tracks", {"mood": "joy", "volume": 11})
    assert not result.ok and "volume" in result.summary
    assert state.tools_called == []


def test_recommendations_keep_to_a_requested_genre_and_say_when_they_cannot(alice, small_catalog):
    state = state_for(alice, "some pop please")
    result = call_tool(state, "recommend_tracks", {"genres": ["pop"], "count": 3})
    assert result.ok and {card.genre for card in state.new_tracks} == {"pop"}
    assert result.data["focus_matched"]

    state = state_for(alice, "some zydeco")
    result = call_tool(state, "recommend_tracks", {"genres": ["zydeco"], "artists": ["Nobody Real At All"]})
    assert result.ok and state.new_tracks
    assert "couldn't find Nobody Real At All" in result.summary
    assert "nothing matched zydeco" in result.summary


def test_more_like_a_position_uses_that_track_as_a_seed_and_leaves_it_out(alice, small_catalog):
    first = state_for(alice, "something happy")
    call_tool(first, "recommend_tracks", {"mood": "joy", "count": 5})
    seed = first.shown[1]
    state = state_for(alice, "more like the second one", shown=first.shown)
    result = call_tool(state, "recommend_tracks", {"like_positions": [2], "count": 5})
    assert result.ok and seed.name in result.summary
    assert seed.track_id not in {card.track_id for card in state.new_tracks}

    result = call_tool(state_for(alice, shown=first.shown), "recommend_tracks", {"like_positions": [9]})
    assert not result.ok and "no track 9" in result.summary


def test_feedback_on_a_position_is_stored_and_a_dislike_becomes_a_rule(alice, small_catalog):
    first = state_for(alice)
    call_tool(first, "recommend_tracks", {"mood": "sadness", "count": 4})
    state = state_for(alice, shown=first.shown)
    result = call_tool(state, "give_feedback", {"position": 2, "kind": "dislike"})
    disliked = first.shown[1]
    assert result.ok and disliked.name in result.summary
    assert Feedback.objects.filter(user=alice, track_id=disliked.track_id, kind="dislike").exists()
    assert TastePreference.objects.filter(
        user=alice, kind="track", value=disliked.spotify_id, liked=False
    ).exists()


def test_preferences_are_grounded_before_they_are_stored(alice, small_catalog):
    state = state_for(alice)
    assert call_tool(state, "set_preference", {"kind": "artist", "value": "nora vale", "liked": True}).ok
    taste = TastePreference.objects.get(user=alice, kind="artist")
    assert (
        taste.label == "Nora Vale"
        and taste.value == Track.objects.get(name="Rainy Window").artists.get().spotify_id
    )
    result = call_tool(state, "set_preference", {"kind": "artist", "value": "Made Up Band", "liked": False})
    assert not result.ok and "couldn't find" in result.summary
    assert call_tool(
        state, "set_preference", {"kind": "constraint", "value": "no explicit", "liked": True}
    ).ok
    assert TastePreference.objects.filter(user=alice, kind="constraint", value="no_explicit").exists()
    assert TastePreference.objects.filter(user=alice).count() == 2


def test_grounding_matches_close_spellings_and_never_invents(alice, small_catalog):
    assert grounding.track_resolve("Rainy Window", "Nora Vale", user=alice).name == "Rainy Window"
    assert grounding.track_resolve("rainy windw", "nora vale", user=alice).name == "Rainy Window"
    assert grounding.track_resolve("Rainy Window", "Iron Vow", user=alice) is None
    assert grounding.track_resolve("A Song Nobody Wrote", "Nobody", user=alice) is None
    assert grounding.artist_resolve("Elm & Ash", user=alice).name == "Elm & Ash"


def test_an_invented_track_is_reported_and_no_playlist_is_made(alice, small_catalog):
    state = state_for(alice)
    result = call_tool(
        state, "create_playlist", {"name": "Made up", "tracks": ["Imaginary Anthem by The Nonexistents"]}
    )
    assert not result.ok and "Imaginary Anthem" in result.summary
    assert not Playlist.objects.filter(owner=alice).exists()


def test_grounding_falls_back_to_spotify_search_for_a_connected_listener(alice, spotify_at):
    consented_link(spotify_at, alice, listener=MALIK)
    some_id = MALIK["top_tracks"]["short_term"][0]
    known = spotify_at.get(f"/v1/tracks/{some_id}").json()
    assert not Track.objects.filter(spotify_id=some_id).exists()
    track = grounding.track_resolve(known["name"], known["artists"][0]["name"], user=alice)
    assert track is not None and track.spotify_id == some_id  # found on Spotify and now in our catalog


def test_playlist_tools_only_ever_touch_the_listeners_own_playlists(alice, charlie, small_catalog):
    PlaylistFactory.create(name="Rainy Sunday", owner=alice)
    first = state_for(charlie)
    call_tool(first, "recommend_tracks", {"count": 3})
    state = state_for(charlie, shown=first.shown)
    for tool in ("add_to_playlist", "remove_from_playlist"):
        result = call_tool(state, tool, {"playlist": "Rainy Sunday", "positions": [1]})
        assert not result.ok and "can't find a playlist of yours" in result.summary
    assert call_tool(state_for(charlie), "list_playlists", {}).data["playlists"] == []
    assert call_tool(state_for(alice), "list_playlists", {}).data["playlists"] == ["Rainy Sunday"]


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("recommend_tracks", {"count": "many"}, "count must be a whole number"),
        ("recommend_tracks", {"genres": [{}]}, "genres must be text"),
        ("recommend_tracks", {"artists": "Adele"}, "artists must be a list"),
        ("recommend_tracks", {"mood": 5}, "mood must be text"),
        ("recommend_tracks", {"like_positions": list(range(50))}, "at most 20"),
        ("add_to_playlist", {"playlist": 5}, "playlist must be text"),
        ("create_playlist", {"name": None}, "name must be text"),
        ("set_preference", {"kind": "planet", "value": "x", "liked": True}, "kind must be one of"),
        ("set_preference", {"kind": "genre", "value": "jazz", "liked": "yes"}, "liked must be true or false"),
        ("give_feedback", {"position": True, "kind": "like"}, "position must be a whole number"),
    ],
)
def test_untrusted_arguments_are_checked_before_any_tool_runs(alice, tool, arguments, says):
    state = state_for(alice)
    result = call_tool(state, tool, arguments)
    assert not result.ok and says in result.summary
    assert state.tools_called == []


def test_a_crash_inside_a_tool_is_reported_not_raised(alice, small_catalog, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("index gone")

    monkeypatch.setattr("recommender.tastes.taste_constraints", broken)
    result = call_tool(state_for(alice), "recommend_tracks", {"count": "5"})  # "5" is read as 5
    assert not result.ok and "went wrong on our side" in result.summary


def test_when_spotify_cannot_be_asked_the_listener_hears_why_not_not_found(alice, spotify_at):

    link = consented_link(spotify_at, alice, listener=MALIK, expired=True)
    SpotifyLink.objects.filter(pk=link.pk).update(status=SpotifyLink.Status.NEEDS_RECONSENT)
    result = call_tool(state_for(alice), "recommend_tracks", {"like_tracks": ["Some Song by Some One"]})
    assert not result.ok and "reconnect" in result.summary.lower()
    spotify_at.fault(status=429, count=5, retry_after=120)
    SpotifyLink.objects.filter(pk=link.pk).update(status=SpotifyLink.Status.ACTIVE)
    result = call_tool(
        state_for(alice), "set_preference", {"kind": "artist", "value": "Unknown Act", "liked": True}
    )
    assert not result.ok and "couldn't find" not in result.summary


def test_removing_says_which_tracks_were_not_in_the_playlist(alice, spotify_at):
    demo_catalog_load()
    consented_link(spotify_at, alice, listener=MALIK)
    spotify_services.library_sync(user=alice)
    shown = [
        track_card(top.track, kind="history")
        for top in TopTrack.objects.filter(user=alice).order_by("time_range", "rank")[:3]
    ]
    chill = spotify_services.playlist_create_with_tracks(
        user=alice, name="Chill", track_spotify_ids=[shown[1].spotify_id]
    )

    result = call_tool(
        state_for(alice, shown=shown), "remove_from_playlist", {"playlist": "chill", "positions": [1, 2]}
    )
    assert result.ok and shown[0].name in result.summary and "not in that playlist" in result.summary
    on_spotify = next(p for p in spotify_at.state(MALIK["id"])["playlists"] if p["id"] == chill.spotify_id)
    assert on_spotify["track_ids"] == []

    result = call_tool(
        state_for(alice, shown=shown), "remove_from_playlist", {"playlist": "Chill", "positions": [3]}
    )
    assert not result.ok and "not in “Chill”" in result.summary


def test_a_named_length_picks_between_versions_of_a_track(alice, small_catalog):
    original = Track.objects.get(name="Rainy Window")
    extended = TrackFactory.create(
        spotify_id="rainywindowextended0000",  # the same name as the original, so not the default id
        name="Rainy Window",
        artists=[original.artists.get()],
        duration_ms=240_000,
        popularity=1,
    )
    state = state_for(alice)
    assert grounded(state, ["Rainy Window by Nora Vale (4:00)"])[0][0].track_id == extended.pk
    assert grounded(state, ["Nora Vale - Rainy Window"])[0][0].track_id == original.pk


def test_a_liked_mood_steers_a_request_that_gives_no_mood_of_its_own(alice, small_catalog):
    neutral = EmotionEstimate("neutral", 0.0, 0.0, 0.3)
    state = TurnState(
        user=alice, conversation=ConversationFactory.create(user=alice), text="anything", mood=neutral
    )
    assert call_tool(state, "recommend_tracks", {}).data["target"]["label"] == "neutral"
    assert call_tool(state, "set_preference", {"kind": "mood", "value": "calm", "liked": True}).ok
    assert call_tool(state, "recommend_tracks", {}).data["target"]["label"] == "calm"
    assert call_tool(state, "recommend_tracks", {"mood": "joy"}).data["target"]["label"] == "joy"


def test_no_more_sad_music_keeps_sad_tracks_out_even_when_the_listener_is_sad(alice, small_catalog):
    sad = EmotionEstimate("sadness", -0.7, -0.4, 0.9)
    state = TurnState(
        user=alice, conversation=ConversationFactory.create(user=alice), text="I'm low", mood=sad
    )
    assert call_tool(state, "set_preference", {"kind": "mood", "value": "sad", "liked": False}).ok

    for _ in range(3):  # the small catalog holds 14 tracks that are not sad
        assert call_tool(state, "recommend_tracks", {"count": 4}).ok
        assert state.picked and all(card.mood != "sad" for card in state.picked)


def test_the_offline_agent_talks_and_reports_what_it_remembered(alice, small_catalog):
    state = state_for(alice, "I just got back from a run, I love Nora Vale by the way")
    reply, meta = respond_offline(state, offered=False, rng=random.Random(1))
    assert reply.endswith("Noted — more Nora Vale.") and "?" in reply  # talked, offered, remembered
    assert meta["tools"] == ["set_preference"] and meta["offered"]
    assert TastePreference.objects.filter(user=alice, kind="artist", label="Nora Vale", liked=True).exists()


def test_a_disliked_genre_and_the_no_explicit_rule_shape_recommendations(alice, charlie, small_catalog):
    Track.objects.filter(name__in=["Happy Feet", "Neon Smiles"]).update(explicit=True)
    explicit = set(Track.objects.filter(explicit=True).values_list("pk", flat=True))
    unruled = recommend_tracks(user=charlie, label="joy", valence=0.8, arousal=0.5, count=20, record=False)
    assert {pick.track_id for pick in unruled} & explicit  # without the rule they would come

    taste_set(user=alice, kind="genre", value="pop", label="pop", liked=False, source="chat")
    taste_set(
        user=alice,
        kind="constraint",
        value="no_explicit",
        label="no explicit lyrics",
        liked=True,
        source="chat",
    )
    state = TurnState(
        user=alice,
        conversation=ConversationFactory.create(user=alice),
        text="something happy",
        mood=EmotionEstimate("joy", 0.8, 0.5, 0.9),
    )
    call_tool(state, "recommend_tracks", {"mood": "joy", "count": 12})
    assert len(state.new_tracks) >= 8
    assert all(card.genre != "pop" for card in state.new_tracks)
    assert not {card.track_id for card in state.new_tracks} & explicit
