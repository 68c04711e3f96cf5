"""The LLM agent over the real SDK and the local stand-in: tool rounds, streaming, grounding, failures."""

from __future__ import annotations

import pytest

from catalog.models import Playlist
from chat.agent.turn import run_turn
from chat.models import Message

pytestmark = pytest.mark.django_db

SAD = {"json": {"label": "sadness", "valence": -0.7, "arousal": -0.3, "confidence": 0.9}}


def events_of(result, kind: str) -> list[dict]:
    return [event for event in result.events if event["type"] == kind]


def test_a_tool_round_then_a_streamed_reply(alice, small_catalog, llm_on):
    llm_on.script(
        SAD,
        {"tool_calls": [{"name": "recommend_tracks", "arguments": {"mood": "sadness", "count": 4}}]},
        {"text": "Here are four gentle ones for tonight."},
    )
    streamed: list[dict] = []
    result = run_turn(user=alice, text="I feel awful, play me something", emit=streamed.append)
    assert streamed == result.events  # every event went out as it happened
    assert (
        events_of(result, "mood")[0]["mood"]["label"] == "sadness"
    )  # structured output, not the offline model
    tokens = "".join(event["text"] for event in events_of(result, "token"))
    assert tokens == "Here are four gentle ones for tonight."
    assert events_of(result, "message")[0]["text"] == tokens
    assert len(events_of(result, "tracks")[0]["tracks"]) == 4
    assert result.llm_seconds > 0

    requests = llm_on.requests()
    assert requests[0]["response_format"]["type"] == "json_schema"
    tool_round = requests[2]["messages"]
    assert tool_round[-2]["tool_calls"][0]["function"]["name"] == "recommend_tracks"
    assert '"ok": true' in tool_round[-1]["content"]
    assert Message.objects.get(role="assistant").meta["tools"] == ["recommend_tracks"]


def test_a_track_the_model_invents_is_reported_not_saved(alice, small_catalog, llm_on):
    llm_on.script(
        SAD,
        {
            "tool_calls": [
                {
                    "name": "create_playlist",
                    "arguments": {"name": "Late", "tracks": ["Moonwalk Lullaby by Zed Nobody"]},
                }
            ]
        },
        {"text": "I couldn't find that one."},
    )
    run_turn(user=alice, text="make a playlist with Moonwalk Lullaby by Zed Nobody")
    result_message = llm_on.requests()[-1]["messages"][-1]
    assert result_message["role"] == "tool" and "Moonwalk Lullaby" in result_message["content"]
    assert '"ok": false' in result_message["content"]
    assert not Playlist.objects.exists()


def test_when_the_model_is_down_the_listener_is_told_and_still_answered(alice, small_catalog, llm_on):
    llm_on.fault(status=500, count=50)
    result = run_turn(user=alice, text="hi")
    error = events_of(result, "error")[0]
    assert error["code"] == "llm_unavailable" and "Answering without it" in error["message"]
    assert "Alice" in events_of(result, "message")[0]["text"]  # the offline agent answered
    assert Message.objects.filter(role="user", text="hi").exists()
    assert Message.objects.get(role="assistant").meta["agent"] == "offline"


def test_a_stream_cut_after_text_keeps_what_was_said_and_says_it_stopped(
    alice, small_catalog, llm_on, settings
):
    settings.LLM_MOOD_READING = False  # the only request is the streamed reply, cut by the fault
    llm_on.script({"text": "This is a long answer that will be cut off somewhere in the middle, sadly."})
    llm_on.fault(drop_mid_stream=True, count=1)
    result = run_turn(user=alice, text="tell me something")
    said = "".join(event["text"] for event in events_of(result, "token"))
    assert said and events_of(result, "message")[0]["text"] == said.strip()
    error = events_of(result, "error")[0]
    assert error["code"] == "llm_interrupted" and "saved" in error["message"]
    assert list(Message.objects.values_list("role", flat=True)) == ["user", "assistant"]


def test_a_model_that_fails_after_acting_does_not_act_twice(alice, small_catalog, llm_on, settings):
    settings.LLM_MOOD_READING = False
    llm_on.script(
        {"tool_calls": [{"name": "recommend_tracks", "arguments": {"count": 3}}]},
        {"tool_calls": [{"name": "give_feedback", "arguments": "{not json"}]},
    )
    result = run_turn(user=alice, text="recommend something")
    assert events_of(result, "error")[0]["code"] == "llm_interrupted"
    # One list, stored with the reply that says what was done; no offline re-run of the request.
    reply = Message.objects.get(role="assistant")
    assert len(reply.tracks) == 3 and "Here are 3 tracks" in reply.text
    assert reply.meta["tools"] == ["recommend_tracks"] and reply.meta["interrupted"] == "bad_response"
    assert len(events_of(result, "tracks")) == 1


def test_a_runaway_model_is_capped_in_tool_calls(alice, small_catalog, llm_on, settings):
    settings.LLM_MOOD_READING = False
    call = {"name": "list_playlists", "arguments": {}}
    llm_on.script({"tool_calls": [call] * 10}, {"text": "Done."})
    run_turn(user=alice, text="show my playlists ten times")
    tool_results = [m for m in llm_on.requests()[-1]["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 10
    assert sum("Tool limit reached" in m["content"] for m in tool_results) == 4
    assert Message.objects.get(role="assistant").meta["tools"] == ["list_playlists"] * 6


def test_a_model_that_writes_on_a_message_that_asked_for_no_write_is_refused(
    alice, small_catalog, llm_on, settings
):
    """The LLM path is held to the offline rule: no write without a write request or a yes."""
    settings.LLM_MOOD_READING = False
    llm_on.script(
        {"tool_calls": [{"name": "recommend_tracks", "arguments": {"count": 3}}]},
        {"text": "Here you go."},
    )
    run_turn(user=alice, text="recommend something")
    llm_on.script(
        {"tool_calls": [{"name": "create_playlist", "arguments": {"name": "Sneaky"}}]},
        {"text": "Should I save them as a playlist?"},
    )
    result = run_turn(user=alice, text="disconnect spotify")
    assert not Playlist.objects.filter(name="Sneaky").exists()
    assert not events_of(result, "action")
    tool_result = [m for m in llm_on.requests()[-1]["messages"] if m.get("role") == "tool"][-1]
    assert "needs_confirmation" in tool_result["content"]


def test_a_named_track_nobody_can_find_gets_a_clear_answer_not_a_random_mix(alice, small_catalog):
    result = run_turn(user=alice, text="play Hello by Adele")
    reply = events_of(result, "message")[0]["text"]
    assert "“Hello by Adele” isn't in our catalog" in reply and "Connect Spotify" in reply
    assert not events_of(result, "tracks")


def test_a_missing_track_by_a_known_artist_brings_that_artists_tracks_and_says_why(alice, small_catalog):
    result = run_turn(user=alice, text="play Moonlight Drive by Nora Vale")
    reply = events_of(result, "message")[0]["text"]
    assert "Spotify isn't connected, so I couldn't search there" in reply
    assert "here's more by Nora Vale" in reply
    tracks = events_of(result, "tracks")[0]["tracks"]
    assert tracks and tracks[0]["artists"] == ["Nora Vale"]
