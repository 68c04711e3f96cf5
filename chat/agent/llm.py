"""The one seam to an OpenAI-compatible LLM (OpenAI, Ollama, vLLM, llama.cpp server, the stand-in).

This is the only module that imports ``openai``. Callers get our types (``Completion``,
``ToolCall``) and one error, ``LLMError``, whose ``message`` can be shown to the listener as is
and whose ``kind`` says what happened; the technical detail goes to the log.

Retries are ours, not the SDK's (its client runs with ``max_retries=0``): a listener is
waiting, so a 429 whose ``Retry-After`` is longer than ``RETRY_AFTER_CAP_S`` fails at once
instead of sleeping, timeouts are not retried (the wait would multiply), and nothing is retried
once streamed text has reached ``on_text`` (the listener would see it twice).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import openai
from django.conf import settings
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam
from openai.types.chat.completion_create_params import ResponseFormat

logger = logging.getLogger(__name__)

ErrorKind = Literal["timeout", "rate_limited", "unavailable", "auth", "bad_response"]
RETRY_AFTER_CAP_S = 8.0  # longer waits than this are "busy now", not "wait"
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.25, 2.0  # when the server gives no Retry-After
# The SDK refuses to send a request without a key; servers without auth ignore this one.
NO_KEY = "no-key"
MESSAGES: dict[str, str] = {
    "timeout": "The language model didn't answer in time. Please try again in a moment.",
    "rate_limited": "The language model is busy right now. Please try again in a moment.",
    "unavailable": "The language model can't be reached right now. Please try again later.",
    "auth": "The language model turned the request away: its access key needs checking.",
    "bad_response": "The language model gave an answer that couldn't be used. Please try again.",
}
T = TypeVar("T")


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str
    connect_timeout: float
    read_timeout: float
    max_retries: int
    temperature: float


def llm_settings() -> LLMSettings | None:
    """The configured LLM, or None when ``LLM_BASE_URL`` or ``LLM_MODEL`` is empty (offline)."""
    base_url = (getattr(settings, "LLM_BASE_URL", "") or "").strip()
    model = (getattr(settings, "LLM_MODEL", "") or "").strip()
    if not base_url or not model:
        return None
    return LLMSettings(
        base_url=base_url,
        model=model,
        api_key=getattr(settings, "LLM_API_KEY", "") or "",
        connect_timeout=float(getattr(settings, "LLM_CONNECT_TIMEOUT", 5.0)),
        read_timeout=float(getattr(settings, "LLM_READ_TIMEOUT", 30.0)),
        max_retries=int(getattr(settings, "LLM_MAX_RETRIES", 2)),
        temperature=float(getattr(settings, "LLM_TEMPERATURE", 0.4)),
    )


class LLMError(Exception):
    """The model could not give a usable answer; ``message`` is safe to show the listener."""

    def __init__(self, kind: ErrorKind, message: str | None = None) -> None:
        self.kind = kind
        self.message = message or MESSAGES[kind]
        super().__init__(self.message)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict


@dataclass(frozen=True)
class Completion:
    text: str
    tool_calls: list[ToolCall]
    finish_reason: str
    first_token_s: float | None
    total_s: float


class _StreamCut(Exception):
    """The stream ended without a finish reason: the connection closed mid-answer."""


class _SchemaRejected(Exception):
    """The server answered 400 to ``response_format: json_schema`` (no structured output there)."""


_clients: dict[LLMSettings, openai.OpenAI] = {}
_clients_lock = threading.Lock()


def _openai_client(config: LLMSettings) -> openai.OpenAI:
    """One SDK client (one connection pool) per settings, shared by every thread."""
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            client = openai.OpenAI(
                base_url=config.base_url,
                api_key=config.api_key or NO_KEY,
                timeout=openai.Timeout(config.read_timeout, connect=config.connect_timeout),
                max_retries=0,
            )
            _clients[config] = client
        return client


class LLMClient:
    def __init__(self, config: LLMSettings | None = None) -> None:
        config = config or llm_settings()
        if config is None:
            raise LLMError("unavailable", "No language model is configured.")
        self.config = config
        self._client = _openai_client(config)

    def stream(
        self,
        messages: list[dict],
        *,
        tools: list[dict] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        """Stream a chat completion; call on_text(delta) for each text delta as it arrives; assemble
        tool calls whose name/arguments arrive split across chunks (several parallel calls too).

        Raises LLMError. Once any text has gone to ``on_text`` a failure is final (no retry), so
        the caller may have shown part of an answer: it should say the answer was cut short.
        """
        started = time.monotonic()
        progress = _Progress(started)

        def attempt() -> Completion:
            return self._stream_once(messages, tools, on_text, progress)

        return self._with_retries(attempt, "stream", can_retry=lambda: not progress.handed_text)

    def complete_json(self, messages: list[dict], *, schema: dict, name: str) -> dict:
        """Structured output: response_format json_schema (strict), falling back to json_object when the
        server rejects json_schema (400); validates it parses to a dict; LLMError otherwise."""
        strict = {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
        try:
            content = self._with_retries(lambda: self._complete_once(messages, strict), "complete_json")
        except _SchemaRejected:
            logger.info("LLM at %s has no json_schema output; asking for a JSON object", self.config.base_url)
            hint = {
                "role": "system",
                "content": "Answer with one JSON object only, matching this JSON schema: "
                + json.dumps(schema, ensure_ascii=False),
            }
            fallback = {"type": "json_object"}
            content = self._with_retries(
                lambda: self._complete_once([*messages, hint], fallback), "complete_json (json_object)"
            )
        return _json_dict(content, schema)

    # --- one HTTP exchange each ---------------------------------------------------------------------

    def _stream_once(
        self,
        messages: list[dict],
        tools: list[dict] | None,
        on_text: Callable[[str], None] | None,
        progress: _Progress,
    ) -> Completion:
        stream = self._client.chat.completions.create(
            model=self.config.model,
            messages=cast("list[ChatCompletionMessageParam]", messages),  # plain dicts of the SDK's shape
            temperature=self.config.temperature,
            stream=True,
            tools=cast("list[ChatCompletionToolUnionParam]", tools) if tools else openai.omit,
        )
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        finish_reason: str | None = None
        with stream:
            for chunk in stream:
                for choice in chunk.choices[:1]:
                    delta = choice.delta
                    if delta.content:
                        progress.token()
                        text.append(delta.content)
                        if on_text is not None:
                            progress.handed_text = True
                            on_text(delta.content)
                    for piece in delta.tool_calls or []:
                        progress.token()
                        _tool_call_add(calls, piece)
                    finish_reason = choice.finish_reason or finish_reason
        if finish_reason is None:
            raise _StreamCut()
        return Completion(
            text="".join(text),
            tool_calls=[_tool_call(index, calls[index]) for index in sorted(calls)],
            finish_reason=finish_reason,
            first_token_s=progress.first_token_s,
            total_s=time.monotonic() - progress.started,
        )

    def _complete_once(self, messages: list[dict], response_format: dict) -> str:
        try:
            response = self._client.chat.completions.create(
                model=self.config.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=self.config.temperature,
                response_format=cast("ResponseFormat", response_format),
            )
        except openai.BadRequestError as exc:
            if response_format["type"] == "json_schema":
                logger.info("LLM rejected json_schema: %s", _detail(exc))
                raise _SchemaRejected() from exc
            raise
        if not response.choices or response.choices[0].message.content is None:
            raise LLMError("bad_response")
        return response.choices[0].message.content

    # --- failures -----------------------------------------------------------------------------------

    def _with_retries(
        self, call: Callable[[], T], what: str, can_retry: Callable[[], bool] = lambda: True
    ) -> T:
        for attempt in range(self.config.max_retries + 1):
            try:
                return call()
            except (openai.OpenAIError, _StreamCut) as exc:
                error, retryable, retry_after = _classify(exc)
                delay = retry_after if retry_after is not None else _backoff(attempt)
                last = attempt >= self.config.max_retries
                if not retryable or last or delay > RETRY_AFTER_CAP_S or not can_retry():
                    logger.warning(
                        "LLM %s at %s failed (%s) after %d attempt(s): %s",
                        what,
                        self.config.base_url,
                        error.kind,
                        attempt + 1,
                        _detail(exc),
                    )
                    raise error from exc
                logger.info("LLM %s: %s; retrying in %.2fs", what, _detail(exc), delay)
                time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")


@dataclass
class _Progress:
    """What one ``stream`` call has done so far, across its attempts."""

    started: float
    first_token_s: float | None = None
    handed_text: bool = False

    def token(self) -> None:
        if self.first_token_s is None:
            self.first_token_s = time.monotonic() - self.started


def _tool_call_add(calls: dict[int, dict[str, str]], piece: Any) -> None:
    """Fold one streamed tool-call delta in: the id arrives once, name and arguments in parts."""
    slot = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
    if piece.id:
        slot["id"] = piece.id
    if piece.function is not None:
        slot["name"] += piece.function.name or ""
        slot["arguments"] += piece.function.arguments or ""


def _tool_call(index: int, parts: dict[str, str]) -> ToolCall:
    try:
        arguments = json.loads(parts["arguments"].strip() or "{}")
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict) or not parts["name"]:
        logger.warning("LLM tool call %r has unusable arguments: %.200r", parts["name"], parts["arguments"])
        raise LLMError("bad_response")
    return ToolCall(id=parts["id"] or f"call_{index}", name=parts["name"], arguments=arguments)


def _json_dict(content: str, schema: dict) -> dict:
    """The content as a JSON object with the schema's required keys, or LLMError(bad_response)."""
    text = content.strip()
    if text.startswith("```"):  # some local models fence JSON even in JSON mode
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    missing = [key for key in schema.get("required", []) if key not in data] if isinstance(data, dict) else []
    if not isinstance(data, dict) or missing:
        logger.warning("LLM JSON answer unusable (missing %s): %.300r", missing, content)
        raise LLMError("bad_response")
    return data


def _classify(exc: Exception) -> tuple[LLMError, bool, float | None]:
    """Our error for an SDK failure, whether another attempt may help, and the server's Retry-After."""
    if isinstance(exc, _StreamCut):
        return LLMError("unavailable", "The language model stopped mid-answer. Please try again."), True, None
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("timeout"), False, None
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("unavailable"), True, None
    if isinstance(exc, openai.APIStatusError):
        status, retry_after = exc.status_code, _retry_after(exc.response.headers)
        if status == 429:
            return LLMError("rate_limited"), exc.code != "insufficient_quota", retry_after
        if status in (401, 403):
            return LLMError("auth"), False, None
        if status == 404:  # a wrong base URL or a model the server does not have
            return LLMError("unavailable"), False, None
        if status == 408:
            return LLMError("timeout"), False, None
        if status >= 500:
            return LLMError("unavailable"), True, retry_after
    return LLMError("bad_response"), False, None


def _retry_after(headers: Any) -> float | None:
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers.get(name)) * unit)
        except (TypeError, ValueError):
            continue
    return None


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt) * random.uniform(0.8, 1.0)


def _detail(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {exc.message}"
    cause = exc.__cause__ or exc.__context__
    return f"{type(exc).__name__}: {exc}" + (f" ({type(cause).__name__}: {cause})" if cause else "")
