"""The LLM stand-in as tests meet it (a pytest plugin): its own process, over real HTTP.

``llm_standin`` is one process per test session, reset (no script, no faults, no recorded
requests) before each test; ``llm_on`` points the LLM settings at it with tiny timeouts, so
code above ``chat.agent.llm`` runs against the real SDK exactly as against a real server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.local_service import local_service_start

STANDIN_MODEL = "standin"
STANDIN_KEY = "standin-test-key"


class LLMStandin:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url  # ".../v1", as LLM_BASE_URL takes it
        self.root = base_url.removesuffix("/v1")
        self.http = requests.Session()

    def control(self, method: str, path: str, body: Any = None) -> dict:
        response = self.http.request(method, f"{self.root}/_standin/{path}", json=body, timeout=5)
        assert response.ok, response.text
        return response.json()

    def script(self, *replies: dict) -> dict:
        """Queue replies (``{"text", "tool_calls", "json"}``), answered before the brain, in order."""
        return self.control("POST", "script", list(replies))

    def fault(self, **rule: Any) -> dict:
        """``status=429, count=2, retry_after=0.01`` · ``delay_first_token=1.0`` · ``drop_mid_stream=True``
        · ``reject_json_schema=True``."""
        return self.control("POST", "faults", rule)

    def requests(self) -> list[dict]:
        """The chat request bodies received since the last reset, in order."""
        return self.control("GET", "requests")["requests"]

    def reset(self) -> None:
        self.control("POST", "reset")

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=5)


def standin_start(*flags: str) -> LLMStandin:
    """``python -m standins.llm --port 0``; the address is read from its first line."""
    command = [sys.executable, "-m", "standins.llm", "--port", "0", "--quiet", "--chunk-delay", "0"]
    command += ["--api-key", STANDIN_KEY, "--model", STANDIN_MODEL, *flags]
    return LLMStandin(*local_service_start(command, "LLM stand-in"))


@pytest.fixture(scope="session")
def llm_standin_process() -> Iterator[LLMStandin]:
    standin = standin_start()
    yield standin
    standin.stop()


@pytest.fixture
def llm_standin(llm_standin_process: LLMStandin) -> LLMStandin:
    """The session's stand-in, with no script, faults or recorded requests left from other tests."""
    llm_standin_process.reset()
    return llm_standin_process


@pytest.fixture
def llm_on(llm_standin: LLMStandin, settings) -> LLMStandin:
    """LLM settings pointed at the stand-in, with timeouts small enough for tests."""
    settings.LLM_BASE_URL = llm_standin.base_url
    settings.LLM_MODEL = STANDIN_MODEL
    settings.LLM_API_KEY = STANDIN_KEY
    settings.LLM_CONNECT_TIMEOUT = 1.0
    settings.LLM_READ_TIMEOUT = 2.0
    settings.LLM_MAX_RETRIES = 2
    settings.LLM_TEMPERATURE = 0.0
    return llm_standin
