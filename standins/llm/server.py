"""HTTP for the stand-in: ``/v1`` as an OpenAI-compatible server answers it, ``/_standin`` for tests.

``StandinApp.handle`` turns a parsed request into either a ``Response`` or a ``StreamPlan``
(chunks plus the faults to act out while sending them) and knows nothing of sockets; the
handler writes either one, streaming as Server-Sent Events over chunked transfer encoding so
that a dropped connection is visible to the client as a broken body, as it is in real life.

Test controls (not under /v1, never authenticated):
``POST /_standin/script`` queue replies (a reply or a list; FIFO, before the brain),
``POST /_standin/faults`` queue faults (see ``Faults``), ``GET /_standin/requests`` the chat
request bodies received (in order, faulted and refused ones too), ``POST /_standin/reset``.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from standins.llm.brains import Brain, ReplyError, reply_check
from standins.llm.protocol import (
    answer_from_reply,
    completion_chunks,
    completion_object,
    error_body,
    usage_for,
)

DROP_AFTER_CHUNKS = 3  # a dropped stream still delivers the role chunk and a couple of deltas first
_STATUS_MESSAGES = {
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop_body_midway: bool = False


@dataclass
class StreamPlan:
    chunks: Iterator[dict[str, Any]]
    delay_first_token: float = 0.0
    drop_after: int | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode(), headers or {})


class ControlError(Exception):
    """A request the stand-in refuses, answered with an OpenAI-shaped error body."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        *,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def response(self) -> Response:
        return json_response(
            self.status, error_body(self.message, self.kind, code=self.code, param=self.param)
        )


class Faults:
    """Queued failures for chat requests, FIFO; each request takes the first rule that applies.

    ``{"status": 429|500|503, "count": N, "retry_after": s}`` answers with that status (with
    ``Retry-After``/``retry-after-ms`` when ``retry_after`` is given); ``{"delay_first_token": s,
    "count": N}`` holds the first token back (after the headers, when streaming);
    ``{"drop_mid_stream": true, "count": N}`` closes the connection a few chunks in;
    ``{"reject_json_schema": true, "count": N}`` answers 400 to ``response_format: json_schema``,
    as servers without structured output do (requests without it pass the rule by).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []

    def add(self, rule: object) -> dict[str, Any]:
        if not isinstance(rule, dict):
            raise ControlError(400, "a fault must be a JSON object")
        entry: dict[str, Any] = {"count": _number(rule, "count", 1, whole=True)}
        if "status" in rule:
            status = rule["status"]
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise ControlError(400, "status must be an HTTP error status (400-599)")
            entry.update(status=status, retry_after=_number(rule, "retry_after", None))
        elif "delay_first_token" in rule:
            entry["delay_first_token"] = _number(rule, "delay_first_token", 0.0)
        elif rule.get("drop_mid_stream") is True:
            entry["drop_mid_stream"] = True
        elif rule.get("reject_json_schema") is True:
            entry["reject_json_schema"] = True
        else:
            raise ControlError(
                400, "unknown fault: use status, delay_first_token, drop_mid_stream or reject_json_schema"
            )
        with self._lock:
            self._rules.append(entry)
        return dict(entry)

    def take(self, body: dict[str, Any]) -> dict[str, Any] | None:
        wants_schema = (body.get("response_format") or {}).get("type") == "json_schema"
        with self._lock:
            for rule in self._rules:
                if rule.get("reject_json_schema") and not wants_schema:
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self._rules.remove(rule)
                return dict(rule)
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def _number(rule: dict, name: str, default: float | None, *, whole: bool = False) -> Any:
    value = rule.get(name, default)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (whole and value != int(value))
    ):
        raise ControlError(400, f"{name} must be a {'whole ' if whole else ''}number, 0 or more")
    return int(value) if whole else float(value)


def _one_or_many(data: object) -> list:
    return data if isinstance(data, list) else [data]


class StandinApp:
    def __init__(self, brain: Brain, *, models: list[str], api_key: str | None = None) -> None:
        self.brain = brain
        self.models = models
        self.api_key = api_key
        self.faults = Faults()
        self._lock = threading.Lock()
        self._script: deque[dict[str, Any]] = deque()
        self._received: list[dict[str, Any]] = []

    def handle(self, method: str, path: str, headers: Message, raw: bytes) -> Response | StreamPlan:
        try:
            if path == "/healthz":
                return json_response(200, {"ok": True})
            if path.startswith("/_standin/"):
                return self._control(method, path, raw)
            if path.startswith("/v1/"):
                return self._api(method, path, headers, raw)
            raise ControlError(404, f"Unknown path {path}", code="unknown_url")
        except ControlError as exc:
            return exc.response()

    # --- /v1 --------------------------------------------------------------------------------------

    def _api(self, method: str, path: str, headers: Message, raw: bytes) -> Response | StreamPlan:
        body = _json_object(raw) if method == "POST" else {}
        if path == "/v1/chat/completions" and method == "POST":
            with self._lock:
                self._received.append(body)
        self._authenticate(headers)
        if path == "/v1/models" and method == "GET":
            return json_response(200, {"object": "list", "data": [self._model(name) for name in self.models]})
        if path.startswith("/v1/models/") and method == "GET":
            return json_response(200, self._model(self._known_model(path.removeprefix("/v1/models/"))))
        if path == "/v1/chat/completions" and method == "POST":
            return self._chat(body)
        raise ControlError(404, f"Invalid URL ({method} {path})", code="unknown_url")

    def _authenticate(self, headers: Message) -> None:
        if self.api_key is None:
            return
        header = headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token:
            raise ControlError(401, "You didn't provide an API key.", code="missing_api_key")
        if token != self.api_key:
            raise ControlError(401, "Incorrect API key provided.", code="invalid_api_key")

    @staticmethod
    def _model(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 0, "owned_by": "personalais-standin"}

    def _known_model(self, name: object) -> str:
        if not isinstance(name, str) or not name:
            raise ControlError(400, "you must provide a model parameter", param="model")
        if name not in self.models:
            raise ControlError(
                404,
                f"The model `{name}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return name

    def _chat(self, body: dict[str, Any]) -> Response | StreamPlan:
        model = self._known_model(body.get("model"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ControlError(400, "messages must be a non-empty array")
        json_mode = _json_mode(body.get("response_format"))
        fault = self.faults.take(body)
        if fault and "status" in fault:
            return self._status_fault(fault)
        if fault and fault.get("reject_json_schema"):
            raise ControlError(400, "response_format json_schema is not supported by this server")
        answer = answer_from_reply(self._reply(body), json_mode=json_mode)
        options = body.get("stream_options") or {}
        usage = usage_for(messages, answer)
        delay = float(fault.get("delay_first_token", 0.0)) if fault else 0.0
        drops = bool(fault and fault.get("drop_mid_stream"))
        if body.get("stream"):
            chunks = completion_chunks(
                answer, model=model, usage=usage if options.get("include_usage") else None
            )
            return StreamPlan(
                chunks, delay_first_token=delay, drop_after=DROP_AFTER_CHUNKS if drops else None
            )
        if delay:
            time.sleep(delay)
        response = json_response(200, completion_object(answer, model=model, usage=usage))
        response.drop_body_midway = drops
        return response

    def _reply(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted
        try:
            return reply_check(self.brain(body))
        except ReplyError as exc:
            raise ControlError(
                500, f"The stand-in's brain gave a reply of the wrong shape: {exc}", "server_error"
            ) from exc
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            raise ControlError(
                500, f"The stand-in's brain failed: {type(exc).__name__}: {exc}", "server_error"
            ) from exc

    @staticmethod
    def _status_fault(fault: dict[str, Any]) -> Response:
        status = fault["status"]
        message, kind, code = _STATUS_MESSAGES.get(status, ("Injected failure.", "server_error", None))
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(math.ceil(fault["retry_after"]))
            headers["retry-after-ms"] = str(round(fault["retry_after"] * 1000))
        return json_response(status, error_body(message, kind, code=code), headers)

    # --- /_standin --------------------------------------------------------------------------------

    def _control(self, method: str, path: str, raw: bytes) -> Response:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_standin/requests"):
            with self._lock:
                return json_response(200, {"requests": list(self._received)})
        if route == ("POST", "/_standin/script"):
            try:
                replies = [reply_check(reply) for reply in _one_or_many(_json(raw))]
            except ReplyError as exc:
                raise ControlError(400, str(exc)) from exc
            with self._lock:
                self._script.extend(replies)
                return json_response(201, {"queued": len(self._script)})
        if route == ("POST", "/_standin/faults"):
            return json_response(
                201, {"faults": [self.faults.add(rule) for rule in _one_or_many(_json(raw))]}
            )
        if route == ("POST", "/_standin/reset"):
            self.faults.clear()
            with self._lock:
                self._script.clear()
                self._received.clear()
            return json_response(200, {"reset": True})
        raise ControlError(404, f"Unknown control {method} {path}")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise ControlError(400, "We could not parse the JSON body of your request.") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    data = _json(raw)
    if not isinstance(data, dict):
        raise ControlError(400, "The request body must be a JSON object.")
    return data


def _json_mode(response_format: object) -> bool:
    if response_format is None:
        return False
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_schema":
        spec = response_format.get("json_schema")  # type: ignore[union-attr]
        if not isinstance(spec, dict) or not spec.get("name"):
            raise ControlError(
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                param="response_format",
            )
        return True
    if kind in ("json_object", "text"):
        return kind == "json_object"
    raise ControlError(400, f"Invalid value for response_format.type: {kind!r}", param="response_format")


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: StandinApp, *, chunk_delay: float = 0.0, quiet: bool = False
    ) -> None:
        super().__init__(address, StandinHandler)
        self.app = app
        self.chunk_delay = chunk_delay
        self.quiet = quiet


class StandinHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as the SDK's pool expects
    server: StandinServer

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        try:
            outcome = self.server.app.handle(self.command, path, self.headers, raw)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            outcome = json_response(500, error_body("The stand-in failed.", "server_error"))
        try:
            if isinstance(outcome, StreamPlan):
                self._stream(outcome)
            else:
                self._send(outcome)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (its read timeout was shorter than a delay): nothing to tell it.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.drop_body_midway:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            return
        self.wfile.write(response.body)

    def _stream(self, plan: StreamPlan) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        if plan.delay_first_token:
            time.sleep(plan.delay_first_token)
        for sent, chunk in enumerate(plan.chunks):
            if plan.drop_after is not None and sent >= plan.drop_after:
                self.close_connection = True  # no terminating chunk: the body is visibly cut short
                return
            self._event(json.dumps(chunk, ensure_ascii=False))
            if self.server.chunk_delay:
                time.sleep(self.server.chunk_delay)
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)
