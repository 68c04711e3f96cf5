"""Two web processes on one database and Redis, started as ``make run`` starts them.

Both accept on one port (``personalais.stack.web_socket``) and the kernel picks the process for each
connection; the test finds out which one it picked and carries a listener's conversation from one
to the other and back. Nothing a conversation needs may live in a process.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator

import psutil
import pytest
from django.test import Client
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from personalais.stack import Child, Supervisor, web_children, web_socket
from tests.conftest import _subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)

Turn = list[dict]


@pytest.fixture(scope="module")
def web_processes(django_db_setup, django_db_blocker) -> Iterator[tuple[int, list[Child], Supervisor]]:
    """(port, the two web processes, their supervisor). Proxy headers on, as in compose: without
    X-Forwarded-For a request is read exactly as in ``make run``."""
    listener = web_socket("127.0.0.1", 0)
    children = web_children(listener, 2, proxy_headers=True)
    env = _subprocess_env()
    supervisor = Supervisor(children, env, log=lambda line: None)
    for child in children:
        child.start(env)
    try:
        yield listener.getsockname()[1], children, supervisor
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait_stopped(timeout=15)
        listener.close()


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _served_by(ws: ClientConnection, children: list[Child]) -> Child:
    """The web process at the other end of this connection."""
    here = ws.socket.getsockname()[:2]
    for child in children:
        assert child.process is not None
        with contextlib.suppress(psutil.Error):  # one that was just killed holds nothing
            for conn in psutil.Process(child.process.pid).net_connections(kind="tcp"):
                if conn.raddr and (conn.raddr.ip, conn.raddr.port) == here:
                    return child
    raise AssertionError("no web process holds this connection")


def _open_on(
    port: int, cookie: str, children: list[Child], wanted: Callable[[Child], bool]
) -> tuple[ClientConnection, dict, Child]:
    """A listener's chat socket on a process ``wanted`` accepts; the kernel chooses, so ask again."""
    deadline = time.monotonic() + 90
    while True:
        ws = connect(
            f"ws://127.0.0.1:{port}/ws/chat/",
            origin=Origin(f"http://127.0.0.1:{port}"),
            additional_headers={"Cookie": cookie},
            open_timeout=60,  # the first waits in the backlog while daphne starts
            legacy=True,  # a plain connection
        )
        history = json.loads(ws.recv(timeout=30))
        child = _served_by(ws, children)
        if wanted(child):
            return ws, history, child
        ws.close()
        assert time.monotonic() < deadline, "the kernel never gave a connection to the other process"
        time.sleep(0.1)


def _turn(ws: ClientConnection, text: str) -> Turn:
    ws.send(json.dumps({"type": "message", "text": text}))
    events: Turn = []
    while not events or events[-1]["type"] != "done":
        events.append(json.loads(ws.recv(timeout=60)))
    assert "error" not in [event["type"] for event in events], events
    return events


def _reply(turn: Turn) -> str:
    return next(event["text"] for event in turn if event["type"] == "message")


def _tracks(turn: Turn) -> list[dict]:
    return next((event["tracks"] for event in turn if event["type"] == "tracks"), [])


def test_a_conversation_begun_on_one_web_process_goes_on_on_the_other(alice, small_catalog, web_processes):
    port, children, _ = web_processes
    cookie = _cookie(alice)
    first, _, one = _open_on(port, cookie, children, lambda child: True)
    feeling = "I had a really rough day and I feel so low"
    turn = _turn(first, feeling)
    assert not _tracks(turn) and "?" in _reply(turn)  # answered and asked: an offer is open

    second, history, other = _open_on(port, cookie, children, lambda child: child is not one)
    assert other is not one
    said = [(m["role"], m["text"]) for m in history["messages"]]
    assert said[0] == ("user", feeling) and said[1] == ("assistant", _reply(turn))
    served = _tracks(_turn(second, "yes please"))
    assert 5 <= len(served) <= 10  # the offer made on the first process, taken up on the other

    turn = _turn(first, "more like the second one")  # back on the first: the list the other showed
    assert served[1]["name"] in _reply(turn)
    assert served[1]["track_id"] not in {track["track_id"] for track in _tracks(turn)}
    first.close()
    second.close()


def test_a_web_process_that_dies_is_started_again_on_the_same_port_and_none_is_refused(alice, web_processes):
    port, children, supervisor = web_processes
    cookie = _cookie(alice)
    victim, survivor = children
    assert victim.process is not None
    killed = victim.process.pid
    victim.process.kill()
    victim.process.wait()

    ws, history, child = _open_on(port, cookie, children, lambda child: True)
    assert child is survivor and history["type"] == "history"  # the port still answers
    ws.close()

    supervisor.tick()  # as make run does every half second
    assert victim.process.pid != killed
    ws, _, child = _open_on(port, cookie, children, lambda child: child is victim)
    assert child is victim  # the new process serves the same port
    ws.close()
