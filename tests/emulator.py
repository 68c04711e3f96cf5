"""The Spotify emulator as tests meet it (a pytest plugin): its own process, over real HTTP.

``emulator`` is one process per test module, put back as it started (no faults, every
listener allowed, the start-up rate limit) after each test; ``start_emulator`` starts
private ones, for tests that restart the process or need their own store or flags.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from catalog.demo_files import listeners_file_read
from spotify.models import SpotifyLink
from spotify.tokens import TokenGrant, link_save
from tests.local_service import local_service_start

REPO = Path(__file__).resolve().parents[1]
LISTENERS = listeners_file_read(REPO / "demo" / "listeners.json")["listeners"]
NORA, MALIK = LISTENERS[0], LISTENERS[1]
CLIENT_ID = "personalais-tests"
REDIRECT_URI = "http://localhost:8000/accounts/spotify/login/callback/"


class Emulator:
    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process = process
        self.base = base
        self.api = f"{base}/v1/"
        self.http = requests.Session()

    def get(self, path: str, user: dict | None = NORA, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), headers=self.auth(user), timeout=5, **kwargs)

    def send(self, method: str, path: str, user: dict | None = NORA, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url(path), headers=self.auth(user), timeout=5, **kwargs)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    @staticmethod
    def auth(user: dict | None) -> dict[str, str]:
        return {"Authorization": f"Bearer demo-{user['id']}"} if user else {}

    # --- switches and inspection under /_emulator/ -------------------------------------------------

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, f"{self.base}/_emulator/{path}", json=body, timeout=5)
        assert response.ok, response.text
        return response.json()

    def fault(self, **rule: Any) -> dict:
        return self.control("POST", "faults", rule)

    def allowlist(self, user_ids: list[str]) -> dict:
        return self.control("POST", "allowlist", {"user_ids": user_ids})

    def rate_limit(self, limit: int, window: float) -> dict:
        return self.control("POST", "rate-limit", {"limit": limit, "window": window})

    def state(self, user_id: str | None = None) -> dict:
        return self.control("GET", "state" + (f"?user_id={user_id}" if user_id else ""))

    def requests_made(self) -> int:
        return self.state()["requests"]["total"]

    def reset(self) -> None:
        for path in ("faults", "allowlist", "rate-limit"):
            self.control("DELETE", path)

    def consent(self, user: dict, client_id: str = CLIENT_ID) -> dict:
        """Real tokens through the consent page and the code + PKCE exchange."""
        verifier = "a-verifier-long-enough-for-pkce-0123456789abcdefghijk"
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        form = {
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "user-top-read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "user_id": user["id"],
        }
        consent = self.http.post(f"{self.base}/authorize", data=form, allow_redirects=False, timeout=5)
        code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
        }
        tokens = self.http.post(f"{self.base}/api/token", data=exchange, timeout=5)
        assert tokens.ok, tokens.text
        return tokens.json()

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=5)


def emulator_starter(store: Path) -> tuple[Callable[..., Emulator], list[Emulator]]:
    """``python -m standins.spotify_emulator --port 0`` on ``store``; the port comes from its output."""
    started: list[Emulator] = []

    def start(*flags: str) -> Emulator:
        command = [sys.executable, "-m", "standins.spotify_emulator", "--port", "0", "--quiet"]
        command += ["--store", str(store), *flags]
        emulator = Emulator(*local_service_start(command, "emulator"))
        started.append(emulator)
        return emulator

    return start, started


def _stop_all(started: list[Emulator]) -> None:
    for emulator in started:
        if emulator.process.poll() is None:
            emulator.stop()


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """For tests that change the store, restart the process or pass flags (``start("--rate-limit", "3")``)."""
    start, started = emulator_starter(tmp_path / "store.json")
    yield start
    _stop_all(started)


@pytest.fixture(scope="module")
def emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    start, started = emulator_starter(tmp_path_factory.mktemp("emulator") / "store.json")
    yield start()
    _stop_all(started)


@pytest.fixture
def emulator(emulator_process: Emulator) -> Iterator[Emulator]:
    """The module's shared process; whatever a test switched on is switched off after it."""
    yield emulator_process
    emulator_process.reset()


@pytest.fixture
def spotify_at(emulator, settings):
    """Point the app's Spotify settings at the test emulator."""
    settings.SPOTIFY_API_BASE_URL = emulator.api
    settings.SPOTIFY_ACCOUNTS_BASE_URL = f"{emulator.base}/"
    settings.SPOTIFY_CLIENT_ID = CLIENT_ID
    settings.SPOTIFY_CLIENT_SECRET = ""
    return emulator


def consented_link(emulator, user, *, listener: dict = MALIK, expired: bool = False) -> SpotifyLink:
    """Link ``user`` to a demo listener with real tokens from the emulator's consent flow."""
    tokens = emulator.consent(listener)
    link = link_save(
        user=user,
        spotify_user_id=listener["id"],
        grant=TokenGrant(tokens["access_token"], tokens["refresh_token"], tokens["expires_in"]),
    )
    if expired:
        SpotifyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return link
