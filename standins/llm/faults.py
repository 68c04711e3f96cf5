"""Faults tests queue for chat requests, acted out as OpenAI-compatible servers fail."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from standins.llm.errors import RequestRefused, openai_json
from standins.llm.protocol import error_body
from standins.web.faults import CountedRules, Rule, retry_after_headers

DROP_AFTER_CHUNKS = 3  # a dropped stream still delivers the role chunk and a couple of deltas first
_STATUS_MESSAGES = {
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


class Faults:
    """Queued failures, FIFO; each chat request takes the first rule that applies to it.

    ``{"status": 429|500|503, "count": N, "retry_after": s}`` answers with that status (with
    ``Retry-After``/``retry-after-ms`` when ``retry_after`` is given); ``{"delay_first_token": s,
    "count": N}`` holds the first token back (after the headers, when streaming);
    ``{"drop_mid_stream": true, "count": N}`` closes the connection a few chunks in;
    ``{"reject_json_schema": true, "count": N}`` answers 400 to ``response_format: json_schema``,
    as servers without structured output do (requests without it pass the rule by).
    """

    def __init__(self) -> None:
        self._rules = CountedRules()

    def add(self, rule: object) -> Rule:
        if not isinstance(rule, dict):
            raise RequestRefused(400, "a fault must be a JSON object")
        # A count of 0 has always meant one request, like the default.
        entry: Rule = {"count": max(1, _number(rule, "count", 1, whole=True))}
        if "status" in rule:
            status = rule["status"]
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise RequestRefused(400, "status must be an HTTP error status (400-599)")
            entry.update(status=status, retry_after=_number(rule, "retry_after", None))
        elif "delay_first_token" in rule:
            entry["delay_first_token"] = _number(rule, "delay_first_token", 0.0)
        elif rule.get("drop_mid_stream") is True:
            entry["drop_mid_stream"] = True
        elif rule.get("reject_json_schema") is True:
            entry["reject_json_schema"] = True
        else:
            raise RequestRefused(
                400, "unknown fault: use status, delay_first_token, drop_mid_stream or reject_json_schema"
            )
        return self._rules.add(entry)

    def take(self, body: dict[str, Any]) -> Rule | None:
        wants_schema = (body.get("response_format") or {}).get("type") == "json_schema"
        return self._rules.take(lambda rule: wants_schema or not rule.get("reject_json_schema"))

    def clear(self) -> None:
        self._rules.clear()


def status_fault_response(fault: Rule) -> Response:
    status = fault["status"]
    message, kind, code = _STATUS_MESSAGES.get(status, ("Injected failure.", "server_error", None))
    retry_after = fault.get("retry_after")
    headers = retry_after_headers(retry_after, millis=True) if retry_after is not None else {}
    return openai_json(status, error_body(message, kind, code=code), headers)


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
        raise RequestRefused(400, f"{name} must be a {'whole ' if whole else ''}number, 0 or more")
    return int(value) if whole else float(value)
