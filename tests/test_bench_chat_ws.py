"""bench/chat_ws.py's parts: the echo floor answers, listeners' lines vary, CPU per turn adds up."""

from __future__ import annotations

import asyncio
import json
import math
from itertools import pairwise

import pytest
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect

from bench.echo_floor import APPLICATION, application
from bench.listener_history import bench_listener_twist
from bench.sentences import ASKS_FOR_MUSIC, FOLLOW_UP, KINDS, ListenerSentences, ScriptedSentences
from bench.web_processes import CpuMeter, CpuSample, cpu_ms_per_turn, cpu_spent, web_pids, web_running


async def test_the_floor_sends_an_empty_history_then_answers_every_frame_with_done():
    communicator = WebsocketCommunicator(application, "/ws/chat/")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"type": "history", "messages": []}
    for text in ("hey", "play something calm"):
        await communicator.send_json_to({"type": "message", "text": text})
        assert await communicator.receive_json_from(timeout=5) == {
            "type": "done",
            "echo": {"type": "message", "text": text},
        }
    await communicator.disconnect()


def test_the_floor_answers_from_every_one_of_make_runs_web_processes_and_their_cpu_is_counted():
    async def turns(port: int, count: int) -> list[dict]:
        answers = []
        for _ in range(count):  # a new socket each time, so the kernel may hand it to either process
            async with connect(f"ws://127.0.0.1:{port}/ws/chat/", proxy=None) as socket_:
                assert json.loads(await socket_.recv())["type"] == "history"
                await socket_.send(json.dumps({"type": "message", "text": "hi"}))
                answers.append(json.loads(await socket_.recv()))
        return answers

    with web_running(APPLICATION, processes=2) as (port, pids):
        assert web_pids(APPLICATION) == sorted(pids) and len(pids) == 2
        meter = CpuMeter(pids)
        before = meter.sample()
        answers = asyncio.run(turns(port, 20))
        spent = cpu_spent(before, meter.sample())
    assert [answer["type"] for answer in answers] == ["done"] * 20
    assert spent.server > 0 and spent.client > 0
    assert web_pids(APPLICATION) == []  # all stopped on the way out


def test_cpu_per_turn_is_the_cpu_spent_in_the_window_over_the_turns_answered():
    before = CpuSample(at=10.0, server=3.0, database=1.0, client=0.5)
    after = CpuSample(at=20.0, server=5.0, database=1.5, client=0.7)
    spent = cpu_spent(before, after)
    assert spent.seconds == 10.0
    assert spent.per_turn_ms(100) == pytest.approx({"server": 20.0, "database": 5.0, "client": 2.0})
    assert spent.server_cores() == pytest.approx(0.2)
    assert math.isnan(cpu_ms_per_turn(2.0, 0))


def test_cpu_per_turn_leaves_the_database_out_when_it_was_not_found():
    spent = cpu_spent(CpuSample(0.0, 1.0, None, 0.0), CpuSample(1.0, 2.0, None, 0.0))
    assert math.isnan(spent.per_turn_ms(10)["database"])


def test_a_listeners_lines_vary_turn_to_turn_and_listener_to_listener():
    first = [line.text for line in ListenerSentences(1, ["Adele", "Burna Boy"]).lines(200)]
    second = [line.text for line in ListenerSentences(2, ["Adele", "Burna Boy"]).lines(200)]
    assert len(set(first)) > 100
    assert first != second
    assert sum(a != b for a, b in pairwise(first)) > 190  # rarely the same line twice


def test_the_same_seed_gives_the_same_lines():
    assert ListenerSentences(7).lines(50) == ListenerSentences(7).lines(50)


def test_every_kind_comes_up_and_a_follow_up_only_after_asking_for_music():
    lines = ListenerSentences(3, ["Adele"]).lines(400)
    assert {line.kind for line in lines} == set(KINDS)
    for previous, line in pairwise(lines):
        if line.kind == FOLLOW_UP:
            assert previous.asks_for_music
    assert lines[0].kind != FOLLOW_UP


def test_music_only_lines_all_ask_for_music_and_name_catalog_artists():
    lines = ListenerSentences(4, ["Zz Top Of The Catalog"], only_music=True).lines(300)
    assert all(line.kind in ASKS_FOR_MUSIC for line in lines)
    assert any("Zz Top Of The Catalog" in line.text for line in lines)


def test_the_old_script_plays_round_and_round():
    script = ListenerSentences(5).lines(3)
    assert ScriptedSentences(script).lines(7) == [*script, *script, script[0]]


def test_a_bench_listener_is_a_demo_listener_with_their_own_twist():
    base = {
        "id": "nora",
        "email": "nora@demo.personalais.local",
        "display_name": "Nora",
        "top_tracks": {"short_term": [f"t{n}" for n in range(50)]},
        "top_artists": {"short_term": [f"a{n}" for n in range(20)]},
        "recently_played": [
            {"track_id": f"t{n}", "played_at": f"2026-11-21T10:{n:02d}:00Z"} for n in range(40)
        ],
        "followed_artists": [f"a{n}" for n in range(10)],
        "playlists": [{"id": "p1", "name": "mine", "description": "", "track_ids": ["t1"]}],
    }
    other = {**base, "top_tracks": {"short_term": [f"o{n}" for n in range(50)]}}

    twisted = bench_listener_twist(
        base, other, email="bench-3@example.invalid", display_name="Bench 3", seed=3
    )

    assert (twisted["email"], twisted["display_name"], twisted["playlists"]) == (
        "bench-3@example.invalid",
        "Bench 3",
        [],
    )
    tops = twisted["top_tracks"]["short_term"]
    assert len(tops) == 50 == len(set(tops)) and tops != base["top_tracks"]["short_term"]
    assert any(track.startswith("o") for track in tops)  # a little of another listener's taste
    assert len(twisted["recently_played"]) == 32
    played = [play["played_at"] for play in twisted["recently_played"]]
    assert played == sorted(played, reverse=True)
    assert twisted == bench_listener_twist(
        base, other, email="bench-3@example.invalid", display_name="Bench 3", seed=3
    )
    assert twisted != bench_listener_twist(
        base, other, email="bench-3@example.invalid", display_name="Bench 3", seed=4
    )
