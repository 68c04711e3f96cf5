"""The offline agent's understanding: intents, slots, and the plan (talk, ask, recommend, act)."""

from __future__ import annotations

import pytest

from chat.agent.intents import classify_intent
from chat.agent.planner import plan_turn
from chat.agent.preferences import PreferenceChange, preference_changes
from chat.agent.slots import extract_slots


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hi", "greet"),
        ("hello there!", "greet"),
        ("recommend something", "recommend"),
        ("could you suggest a few songs for cooking dinner?", "recommend"),
        ("I'm stressed, play something calm", "recommend"),
        ("I'm sad, lift me up", "recommend"),
        ("more like the second one", "more_like"),
        ("give me more songs similar to that", "more_like"),
        ("no more rap", "preference"),
        ("I can't stand country music", "preference"),
        ("make a playlist called Rainy Sunday with these", "create_playlist"),
        ("save these as a playlist", "create_playlist"),
        ("remove the third one", "remove_from_playlist"),
        ("add the first one to Rainy Sunday", "add_to_playlist"),
        ("what have I been listening to lately?", "recent"),
        ("who are my top artists this month?", "top_artists"),
        ("show me my most played tracks", "top_tracks"),
        ("show my playlists", "list_playlists"),
        ("why did you pick that?", "explain"),
        ("the second one is amazing", "feedback"),
        ("thanks!", "thanks"),
        ("what's the weather tomorrow?", "unsupported"),
        ("turn up the volume on my speaker", "unsupported"),
        ("what can you do?", "capabilities"),
        ("I had a long day at work", "chat"),
    ],
)
def test_intents(text, intent):
    assert classify_intent(text).intent == intent


def test_slots_positions_counts_genres_and_names():
    slots = extract_slots("give me 5 jazz songs")
    assert slots.count == 5 and slots.genres == ["jazz"]
    assert extract_slots("more like the second one").positions == [2]
    assert extract_slots("remove tracks 2 and 4").positions == [2, 4]
    assert extract_slots("drop the last one").positions == [-1]
    assert extract_slots("why that one?").deictic
    assert extract_slots("make a playlist called Rainy Sunday with these").playlist_name == "Rainy Sunday"
    assert extract_slots('save it as "Late Night Drive"').playlist_name == "Late Night Drive"
    assert extract_slots("play Hello by Adele").track == ("Hello", "Adele")
    assert extract_slots("play some Billie Eilish").artists == ["Billie Eilish"]
    assert extract_slots("a few hip hop tracks").genres == ["hip-hop"]
    assert extract_slots("what did I play this month").time_range == "short_term"
    assert extract_slots("my top tracks of all time").time_range == "long_term"


def test_preferences_are_read_with_their_direction():
    assert preference_changes(extract_slots("no more rap")) == [PreferenceChange("genre", "hip-hop", False)]
    assert preference_changes(extract_slots("I love jazz")) == [PreferenceChange("genre", "jazz", True)]
    assert preference_changes(extract_slots("I really don't like Taylor Swift")) == [
        PreferenceChange("artist", "Taylor Swift", False)
    ]
    assert preference_changes(extract_slots("nothing sad please")) == [
        PreferenceChange("mood", "sadness", False)
    ]
    assert PreferenceChange("constraint", "no_explicit", True) in preference_changes(
        extract_slots("nothing explicit please, my kids are here")
    )
    # Positions and pronouns are not preferences.
    assert preference_changes(extract_slots("I love the second one")) == []


def test_a_feeling_alone_is_answered_and_asked_not_served():
    plan = plan_turn("I had a really rough day")
    assert not plan.calls and plan.say == "chat"
    accepted = plan_turn("yes please", offered=True)
    assert [name for name, _ in accepted.calls] == ["recommend_tracks"]
    assert plan_turn("no thanks", offered=True).say == "declined"
    # Without an open offer, "yes" is not a request for music.
    assert not plan_turn("yes", offered=False).calls


def test_plans_call_the_right_tools_with_the_slots():
    assert plan_turn("more like the second one").calls == [
        ("recommend_tracks", {"request": "more like the second one", "like_positions": [2]})
    ]
    assert plan_turn("no more rap, play something upbeat").calls == [
        ("set_preference", {"kind": "genre", "value": "hip-hop", "liked": False}),
        ("recommend_tracks", {"request": "no more rap, play something upbeat"}),
    ]
    assert plan_turn("make a playlist called Rainy Sunday with these").calls == [
        ("create_playlist", {"name": "Rainy Sunday"})
    ]
    assert plan_turn("remove the third one").calls == [("remove_from_playlist", {"positions": [3]})]
    assert plan_turn("the second one is awful").calls == [
        ("give_feedback", {"position": 2, "kind": "dislike"})
    ]
    assert plan_turn("why the third one?").calls == [("explain_track", {"position": 3})]
    assert plan_turn("what are my top artists of all time?").calls == [
        ("top_artists", {"time_range": "long_term"})
    ]


def test_it_asks_when_a_reference_is_missing():
    plan = plan_turn("remove one from the playlist")
    assert not plan.calls and plan.say == "clarify" and "Which one" in plan.clarify
    plan = plan_turn("I hate it")
    assert plan.calls == [("give_feedback", {"position": 1, "kind": "dislike"})]


def test_named_tracks_playlists_and_ranges():
    assert plan_turn("play the song Hello by Adele").calls == [
        ("recommend_tracks", {"request": "play the song Hello by Adele", "like_tracks": ["Hello by Adele"]})
    ]
    assert plan_turn("can you remove Lonely Avenue from Rainy Sunday").calls == [
        ("remove_from_playlist", {"playlist": "Rainy Sunday", "tracks": ["Lonely Avenue"]})
    ]
    assert plan_turn("remove the last two").calls == [("remove_from_playlist", {"positions": [-2, -1]})]
    assert [call[0] for call in plan_turn("make me a workout playlist").calls] == [
        "recommend_tracks",
        "create_playlist",
    ]
    assert plan_turn("make me a workout playlist").calls[1] == ("create_playlist", {"name": "Workout"})
    assert plan_turn("I like the first two").calls == [
        ("give_feedback", {"position": 1, "kind": "like"}),
        ("give_feedback", {"position": 2, "kind": "like"}),
    ]
    assert plan_turn("delete my account").calls == [("account_help", {"request": "delete my account"})]
    assert plan_turn("recommend 3 chill songs").calls[0][1]["count"] == 3


def test_edits_never_guess_the_whole_list():
    # Asking for music with "put on … to" or "add … to the mix" is a request, not a playlist edit.
    for text in (
        "put on something to help me sleep",
        "put on some music to study to",
        "add some jazz to the mix",
    ):
        assert [name for name, _ in plan_turn(text).calls] == ["recommend_tracks"]
    assert plan_turn("add that song to the playlist").say == "clarify"
    assert plan_turn("add track 0 to Chill").calls == [
        ("add_to_playlist", {"playlist": "Chill", "positions": [0]})
    ]
    assert plan_turn("add 1, 2 and 3 to Chill").calls[0][1]["positions"] == [1, 2, 3]
    assert plan_turn("add the eleventh one to Chill").calls[0][1]["positions"] == [11]
    assert plan_turn("put track 2 in my workout playlist").calls == [
        ("add_to_playlist", {"playlist": "workout", "positions": [2]})
    ]
    # A named track is not also an artist.
    assert "artists" not in plan_turn("play Rainy Window by Nora Vale").calls[0][1]


def test_a_taste_said_in_passing_is_remembered_while_the_agent_talks():
    plan = plan_turn("I just got back from a run, I love Nora Vale by the way")
    assert plan.say == "chat"
    assert plan.calls == [("set_preference", {"kind": "artist", "value": "Nora Vale", "liked": True})]
    assert plan_turn("I love Adele so much").calls == [
        ("set_preference", {"kind": "artist", "value": "Adele", "liked": True})
    ]
