"""The LLM seam over real HTTP: the real openai SDK against the stand-in process."""

from __future__ import annotations

import json
import logging
import socket
import threading

import pytest
import requests

from chat.agent.llm import LLMClient, LLMError, llm_settings
from tests.llm_standin import STANDIN_KEY, STANDIN_MODEL

USER = [{"role": "user", "content": "I feel tired, play something calm"}]
ANSWER = "Here are some calm songs for a slow evening, starting with Pink Moon."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "recommend_tracks",
            "description": "Pick tracks for a mood.",
            "parameters": {
                "type": "object",
                "properties": {"mood": {"type": "string"}, "count": {"type": "integer"}},
                "required": ["mood"],
            },
        },
    }
]
MOOD_SCHEMA = {
    "type": "object",
    "properties": {"mood": {"type": "string"}, "energy": {"type": "number"}},
    "required": ["mood", "energy"],
    "additionalProperties": False,
}


def streamed(client: LLMClient, **kwargs):
    deltas: list[str] = []
    completion = client.stream(USER, on_text=deltas.append, **kwargs)
    return completion, deltas


def test_it_streams_text_in_pieces_in_order_and_reassembles_it(llm_on):
    llm_on.script({"text": ANSWER})

    completion, deltas = streamed(LLMClient())

    assert len(deltas) >= 5
    assert "".join(deltas) == completion.text == ANSWER
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == []
    assert completion.first_token_s is not None
    (request,) = llm_on.requests()
    assert request["stream"] is True
    assert request["model"] == STANDIN_MODEL
    assert request["messages"] == USER
    assert request["temperature"] == 0.0


def test_the_standin_splits_tool_call_names_and_arguments_over_chunks(llm_on):
    llm_on.script({"tool_calls": [{"name": "recommend_tracks", "arguments": {"mood": "calm", "count": 5}}]})
    body = {"model": STANDIN_MODEL, "messages": USER, "stream": True}
    response = requests.post(
        f"{llm_on.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {STANDIN_KEY}"},
        timeout=5,
    )
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    pieces = [
        call["function"]
        for event in events[:-1]
        for choice in json.loads(event)["choices"]
        for call in choice["delta"].get("tool_calls") or []
    ]
    assert len([piece for piece in pieces if piece.get("name")]) == 2
    assert len([piece for piece in pieces if piece.get("arguments")]) >= 2
    assert "".join(piece.get("name") or "" for piece in pieces) == "recommend_tracks"


def test_it_assembles_a_tool_call_whose_name_and_arguments_arrive_split(llm_on):
    arguments = {"mood": "calm", "count": 5, "avoid": ["Metallica", "Slayer"]}
    llm_on.script({"tool_calls": [{"name": "recommend_tracks", "arguments": arguments}]})

    completion, deltas = streamed(LLMClient(), tools=TOOLS)

    (call,) = completion.tool_calls
    assert call.name == "recommend_tracks"
    assert call.arguments == arguments
    assert call.id.startswith("call_")
    assert completion.finish_reason == "tool_calls"
    assert completion.text == ""
    assert deltas == []
    assert llm_on.requests()[0]["tools"] == TOOLS


def test_it_assembles_two_parallel_tool_calls_in_their_order(llm_on):
    llm_on.script(
        {
            "text": "Let me look.",
            "tool_calls": [
                {"name": "recommend_tracks", "arguments": {"mood": "calm"}},
                {"name": "save_playlist", "arguments": {"title": "Slow evening", "public": False}},
            ],
        }
    )

    completion, deltas = streamed(LLMClient(), tools=TOOLS)

    assert [(call.name, call.arguments) for call in completion.tool_calls] == [
        ("recommend_tracks", {"mood": "calm"}),
        ("save_playlist", {"title": "Slow evening", "public": False}),
    ]
    assert len({call.id for call in completion.tool_calls}) == 2
    assert "".join(deltas) == completion.text == "Let me look."


def test_tool_call_arguments_that_are_not_json_are_a_bad_response(llm_on):
    llm_on.script({"tool_calls": [{"name": "recommend_tracks", "arguments": '{"mood": "calm", count: '}]})

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER, tools=TOOLS)

    assert caught.value.kind == "bad_response"
    assert len(llm_on.requests()) == 1


def test_it_retries_a_429_after_retry_after_without_repeating_text(llm_on):
    llm_on.fault(status=429, count=2, retry_after=0.02)
    llm_on.script({"text": ANSWER})

    completion, deltas = streamed(LLMClient())

    assert "".join(deltas) == completion.text == ANSWER
    assert len(llm_on.requests()) == 3


def test_a_429_asking_for_a_long_wait_fails_at_once_as_busy(llm_on):
    llm_on.fault(status=429, count=5, retry_after=60)

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER)

    assert caught.value.kind == "rate_limited"
    assert "busy" in caught.value.message
    assert len(llm_on.requests()) == 1


def test_a_persistent_500_fails_clearly_after_the_bounded_retries(llm_on, settings, caplog):
    settings.LLM_MAX_RETRIES = 2
    llm_on.fault(status=500, count=10, retry_after=0.01)

    with caplog.at_level(logging.WARNING, logger="chat.agent.llm"), pytest.raises(LLMError) as caught:
        LLMClient().stream(USER)

    assert caught.value.kind == "unavailable"
    assert caught.value.message == "The language model can't be reached right now. Please try again later."
    assert len(llm_on.requests()) == 3
    assert "HTTP 500" in caplog.text
    assert "HTTP 500" not in caught.value.message


def test_a_first_token_slower_than_the_read_timeout_is_a_timeout(llm_on, settings):
    settings.LLM_READ_TIMEOUT = 0.5
    llm_on.fault(delay_first_token=1.5)
    deltas: list[str] = []

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER, on_text=deltas.append)

    assert caught.value.kind == "timeout"
    assert "in time" in caught.value.message
    assert deltas == []
    assert len(llm_on.requests()) == 1  # a listener is waiting: a timeout is not tried again


def test_a_first_token_within_the_read_timeout_arrives(llm_on, settings):
    settings.LLM_READ_TIMEOUT = 1.0
    llm_on.fault(delay_first_token=0.1)
    llm_on.script({"text": ANSWER})

    completion, deltas = streamed(LLMClient())

    assert "".join(deltas) == completion.text == ANSWER
    assert completion.first_token_s is not None and completion.first_token_s >= 0.1


def test_a_stream_dropped_after_text_fails_without_repeating_text(llm_on):
    llm_on.fault(drop_mid_stream=True)
    llm_on.script({"text": ANSWER}, {"text": ANSWER})

    streamed_deltas: list[str] = []

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER, on_text=streamed_deltas.append)

    assert caught.value.kind == "unavailable"
    assert streamed_deltas == ["Here", " are"]  # what came before the cut, once
    assert len(llm_on.requests()) == 1


def test_a_stream_dropped_before_any_text_is_retried(llm_on):
    call = {"name": "recommend_tracks", "arguments": {"mood": "calm"}}
    llm_on.fault(drop_mid_stream=True)
    llm_on.script({"tool_calls": [call]}, {"tool_calls": [call]})

    completion, deltas = streamed(LLMClient(), tools=TOOLS)

    assert completion.tool_calls[0].arguments == {"mood": "calm"}
    assert deltas == []
    assert len(llm_on.requests()) == 2


def test_nothing_listening_is_unavailable(llm_on, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER)

    assert caught.value.kind == "unavailable"


def test_a_wrong_key_is_an_auth_error_and_not_retried(llm_on, settings):
    settings.LLM_API_KEY = "not-the-key"

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER)

    assert caught.value.kind == "auth"
    assert len(llm_on.requests()) == 1


def test_a_model_the_server_does_not_have_is_unavailable(llm_on, settings):
    settings.LLM_MODEL = "gpt-imaginary"

    with pytest.raises(LLMError) as caught:
        LLMClient().stream(USER)

    assert caught.value.kind == "unavailable"
    assert len(llm_on.requests()) == 1


def test_complete_json_asks_for_the_strict_schema(llm_on):
    llm_on.script({"json": {"mood": "calm", "energy": 0.2}})

    data = LLMClient().complete_json(USER, schema=MOOD_SCHEMA, name="mood_reading")

    assert data == {"mood": "calm", "energy": 0.2}
    (request,) = llm_on.requests()
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "mood_reading", "schema": MOOD_SCHEMA, "strict": True},
    }
    assert not request.get("stream")


def test_complete_json_falls_back_to_json_object_when_the_schema_is_rejected(llm_on):
    llm_on.fault(reject_json_schema=True)
    llm_on.script({"json": {"mood": "sad", "energy": 0.1}})

    data = LLMClient().complete_json(USER, schema=MOOD_SCHEMA, name="mood_reading")

    assert data == {"mood": "sad", "energy": 0.1}
    first, second = llm_on.requests()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    assert '"energy"' in second["messages"][-1]["content"]  # the schema travels in the prompt instead


@pytest.mark.parametrize("text", ["calm, low energy", '["calm", 0.2]', '{"mood": "calm"}'])
def test_complete_json_refuses_what_is_not_an_object_with_the_required_keys(llm_on, text):
    llm_on.script({"text": text})

    with pytest.raises(LLMError) as caught:
        LLMClient().complete_json(USER, schema=MOOD_SCHEMA, name="mood_reading")

    assert caught.value.kind == "bad_response"


def test_llm_settings_is_none_until_both_url_and_model_are_set(settings):
    settings.LLM_BASE_URL, settings.LLM_MODEL = "", ""
    assert llm_settings() is None
    settings.LLM_BASE_URL = "http://127.0.0.1:11434/v1"
    assert llm_settings() is None
    settings.LLM_MODEL = "llama3.1"
    config = llm_settings()
    assert config is not None
    assert (config.base_url, config.model) == ("http://127.0.0.1:11434/v1", "llama3.1")


def test_clients_for_the_same_settings_share_one_connection_pool_across_threads(llm_on):
    assert LLMClient()._client is LLMClient()._client
    client, answers = LLMClient(), {}

    def ask(n: int) -> None:
        answers[n] = client.stream([{"role": "user", "content": f"number {n}"}]).text

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == {n: f"You said: number {n}" for n in range(4)}
