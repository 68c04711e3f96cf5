"""The stand-ins' shared HTTP layer (``standins.web``), served for real by uvicorn in a thread."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import requests
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from standins.web.app import standin_app
from standins.web.faults import ConnectionDropped, CountedRules, cut_short, retry_after_headers
from standins.web.responses import bearer_token, body_response, json_response, streaming_response
from standins.web.serve import DropsOnPurpose, base_url, listening_socket, uvicorn_server

REPO = Path(__file__).resolve().parents[2]


async def _not_found(request: Request, exc: Exception) -> Response:
    return json_response(404, {"error": "nothing at " + request.url.path})


async def _stream_then_drop(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: one\n\n"
        yield b"data: two\n\n"
        raise ConnectionDropped

    return streaming_response(chunks(), "text/event-stream")


async def _half_a_body(request: Request) -> Response:
    return cut_short(200, b'{"answer": "' + b"x" * 200 + b'"}', "application/json", {})


async def _token(request: Request) -> Response:
    return json_response(200, {"token": bearer_token(request)})


async def _accented(request: Request) -> Response:
    return json_response(200, {"name": "Beyoncé"})


ROUTES = [
    Route("/stream", _stream_then_drop),
    Route("/half", _half_a_body),
    Route("/token", _token),
    Route("/cafe", _accented),
]


@pytest.fixture
def served() -> Iterator[Callable[..., str]]:
    """Serve an app as ``serve`` does (a listening socket, then uvicorn on it); yields its base URL."""
    running = []

    def start(app) -> str:
        sock = listening_socket("127.0.0.1", 0)
        server = uvicorn_server(app, quiet=True)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, sock))
        return base_url(sock)

    yield start
    for server, thread, sock in running:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.fixture
def base(served) -> str:
    return served(standin_app(ROUTES, errors={404: _not_found}))


def test_a_stream_cut_by_connection_dropped_is_a_broken_body_after_what_was_sent(base: str) -> None:
    received: list[bytes] = []
    response = requests.get(f"{base}/stream", stream=True, timeout=5)

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for chunk in response.iter_content(chunk_size=None):
            received.append(chunk)

    assert response.status_code == 200
    assert b"".join(received) == b"data: one\n\ndata: two\n\n"


def test_a_cut_short_response_promises_the_whole_body_and_sends_half(base: str) -> None:
    response = requests.get(f"{base}/half", stream=True, timeout=5)

    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # requests' name for IncompleteRead too
        response.content  # noqa: B018

    assert response.headers["Content-Length"] == "214"


def test_the_server_keeps_answering_after_a_dropped_connection(base: str) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{base}/stream", timeout=5).content  # noqa: B018

    assert requests.get(f"{base}/cafe", timeout=5).json() == {"name": "Beyoncé"}


def test_a_path_with_a_trailing_slash_is_not_redirected(base: str) -> None:
    response = requests.get(f"{base}/token/", allow_redirects=False, timeout=5)

    assert response.status_code == 404
    assert response.json() == {"error": "nothing at /token/"}


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("Bearer", None), ("Basic YTpi", None), (None, None)],
)
def test_it_reads_only_a_bearer_token(base: str, header: str | None, token: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    assert requests.get(f"{base}/token", headers=headers, timeout=5).json() == {"token": token}


def test_json_keeps_non_ascii_text_and_content_types_go_out_as_given(base: str) -> None:
    response = requests.get(f"{base}/cafe", timeout=5)

    assert "Beyoncé".encode() in response.content
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert body_response(200, b"x", "text/plain").headers["content-type"] == "text/plain"


def test_a_listening_socket_on_port_0_has_a_real_port_and_queues_early_clients() -> None:
    sock = listening_socket("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        early = socket.create_connection(("127.0.0.1", port), timeout=2)  # nobody serves yet: it waits
        accepted, _ = sock.accept()

        assert port != 0 and base_url(sock) == f"http://127.0.0.1:{port}"
        # asyncio turns Nagle off only for sockets that say they are TCP; else ~40 ms per keep-alive call.
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        early.close()
    finally:
        sock.close()


def test_a_port_in_use_is_refused() -> None:
    taken = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_a_stand_in_started_on_port_0_prints_its_address_first_and_answers_there() -> None:
    command = [sys.executable, "-m", "standins.llm", "--port", "0", "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        words = first_line.split()
        assert words[:3] == ["LLM", "stand-in", "on"] and words[3].startswith("http://127.0.0.1:")
        root = words[3].removesuffix("/v1")
        assert requests.get(f"{root}/healthz", timeout=5).json() == {"ok": True}
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_counted_rules_fire_as_often_as_counted_in_the_order_added() -> None:
    rules = CountedRules()
    rules.add({"count": 2, "name": "twice"})
    rules.add({"count": None, "name": "always"})
    names = [(rules.take(lambda rule: True) or {}).get("name") for _ in range(4)]

    assert names == ["twice", "twice", "always", "always"]
    assert [rule["count"] for rule in rules.listed()] == [0, None]  # spent rules stay listed
    rules.clear()
    assert rules.take(lambda rule: True) is None


def test_counted_rules_pass_by_rules_that_do_not_apply_without_spending_them() -> None:
    rules = CountedRules()
    rules.add({"count": 1, "path": "/v1/playlists/"})
    rules.add({"count": 1, "path": "/v1/"})

    first = rules.take(lambda rule: "/v1/me".startswith(rule["path"]))
    second = rules.take(lambda rule: "/v1/playlists/x".startswith(rule["path"]))

    assert (first and first["path"], second and second["path"]) == ("/v1/", "/v1/playlists/")
    assert rules.take(lambda rule: True) is None


def test_retry_after_rounds_up_so_an_obedient_client_is_never_early() -> None:
    assert retry_after_headers(7) == {"Retry-After": "7"}
    assert retry_after_headers(0.25, millis=True) == {"Retry-After": "1", "retry-after-ms": "250"}


def test_only_the_error_logged_for_a_drop_on_purpose_is_hidden() -> None:
    def logged(error: Exception) -> logging.LogRecord:
        return logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception", None, (type(error), error, None)
        )

    drops = DropsOnPurpose()
    assert drops.filter(logged(ConnectionDropped())) is False
    assert drops.filter(logged(RuntimeError("a real bug"))) is True
