"""``make run``: the whole system on embedded defaults, in one terminal.

Starts (or reuses) PostgreSQL and Redis, migrates, loads the demo data, then runs the
Spotify emulator, daphne (HTTP + WebSocket), a Celery worker and beat as child
processes. Ctrl-C stops every child and the embedded servers. A child that dies is
reported and restarted (a few times), so one crash does not take the site down.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from personalais import embedded
from personalais.env import env_bool, env_int

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAX_RESTARTS = 3


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, cwd=BASE_DIR, env=env, start_new_session=True)
        self.started_at = time.monotonic()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _require_free_port(port: int, what: str, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(
                f"error: port {port} ({what}) is already in use; stop that program or set {variable}."
            )


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _service_env() -> dict[str, str]:
    """Resolve the data stores once, so children connect directly instead of each checking."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    env["PYTHONUNBUFFERED"] = "1"
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded.postgres_url()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.redis_url(port=env_int("EMBEDDED_REDIS_PORT", 6390, minimum=1))
    return env


def _demo_listeners() -> str:
    try:
        listeners = json.loads((BASE_DIR / "demo" / "listeners.json").read_text())["listeners"]
    except (OSError, ValueError, KeyError):
        return "see demo/listeners.json"
    return ", ".join(listener["display_name"] for listener in listeners)


def main() -> int:
    started = time.monotonic()
    port = env_int("PORT", 8000, minimum=1)
    emulator_port = env_int("EMULATOR_PORT", 8765, minimum=1)
    _require_free_port(port, "web", "PORT")
    _require_free_port(emulator_port, "Spotify emulator", "EMULATOR_PORT")
    # Opt-in: LLM_STANDIN=1 with no LLM configured serves the agent from the local stand-in LLM.
    standin_port = env_int("LLM_STANDIN_PORT", 8766, minimum=1)
    with_standin = env_bool("LLM_STANDIN", False) and not os.environ.get("LLM_BASE_URL")
    if with_standin:
        _require_free_port(standin_port, "LLM stand-in", "LLM_STANDIN_PORT")
    try:
        env = _service_env()
    except embedded.EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    env.setdefault("SPOTIFY_API_BASE_URL", f"http://127.0.0.1:{emulator_port}/v1/")
    env.setdefault("SPOTIFY_ACCOUNTS_BASE_URL", f"http://127.0.0.1:{emulator_port}/")
    if with_standin:
        env.update(LLM_BASE_URL=f"http://127.0.0.1:{standin_port}/v1", LLM_MODEL="standin", LLM_API_KEY="")
    try:
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "seed_demo")
    except subprocess.CalledProcessError as exc:
        print(f"error: set-up step failed ({' '.join(exc.cmd[1:])}); see the output above.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted during set-up; the next `make run` picks up where this one stopped.")
        embedded.stop_all()
        return 130

    state = embedded.state_dir()
    children = [
        Child("emulator", [PYTHON, "-m", "standins.spotify_emulator", "--port", str(emulator_port)]),
        Child(
            "web",
            [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "personalais.asgi:application"],
        ),
        Child(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "personalais",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                "1",
                "-n",
                "worker@%h",
            ],
        ),
        Child(
            "beat",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "personalais",
                "beat",
                "-l",
                "warning",
                "-s",
                str(state / "celerybeat-schedule"),
            ],
        ),
    ]
    if with_standin:
        brain = "chat.agent.standin_brain:respond"
        standin = [PYTHON, "-m", "standins.llm", "--port", str(standin_port), "--brain", brain, "--quiet"]
        children.insert(1, Child("llm-standin", standin))
    for child in children:
        child.start(env)

    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(
        f"\nPersonalAIs is up in {time.monotonic() - started:.1f}s: http://127.0.0.1:{port}/\n"
        "  “Log in with Spotify” and pick a demo listener on the emulator's consent page\n"
        f"  ({_demo_listeners()}), or sign up with any email.\n"
        "  Admin: .venv/bin/python manage.py createsuperuser\n"
        f"  Spotify emulator: http://127.0.0.1:{emulator_port}/   Health: http://127.0.0.1:{port}/healthz\n"
        + (f"  LLM stand-in: {env['LLM_BASE_URL']}\n" if with_standin else "")
        + "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    try:
        while not stopping:
            time.sleep(0.5)
            for child in children:
                code = child.process.poll() if child.process else None
                if code is None or stopping:
                    continue
                if child.restarts >= MAX_RESTARTS:
                    print(f"error: {child.name} keeps exiting (code {code}); stopping.", file=sys.stderr)
                    stopping = True
                    break
                child.restarts += 1
                print(f"warning: {child.name} exited with code {code}; restarting.", file=sys.stderr)
                child.start(env)
    finally:
        print("\nStopping…", flush=True)
        for child in children:
            child.stop()
        for child in children:
            child.wait_stopped(timeout=10)
        if not env_bool("KEEP_EMBEDDED_SERVICES", False):
            embedded.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
