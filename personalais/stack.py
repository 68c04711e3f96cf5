"""``make run``: the whole system on embedded defaults, in one terminal.

Starts (or reuses) PostgreSQL and Redis, migrates, loads the demo data, then runs the
Spotify emulator, the web processes (daphne: HTTP + WebSocket), a Celery worker and beat as child
processes. Ctrl-C stops every child and the embedded servers.

Web processes: ``WEB_CONCURRENCY`` of them (default: one per core), all accepting on one listening
socket this process binds and hands to each daphne (``--fd``). Nothing a conversation needs lives in
a process — conversations, memory and pending confirmations are in PostgreSQL, sessions in the
database — so any process can take any listener's next socket. ``python -m personalais.stack web``
runs only the web processes (the Docker image does, behind the proxy in ``deploy/Caddyfile``).

Supervision (``Supervisor``): a child that exits is restarted at once, up to ``BURST`` times in
``WINDOW`` seconds; past that it waits, doubling up to ``MAX_BACKOFF``, and is tried again — it
never stops the others. The embedded PostgreSQL and valkey are watched the same way (a probe of
their ports) and started again when they go away.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from personalais import embedded
from personalais.env import env_bool, env_int

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Under load the session lookup waits for a thread: a slow handshake, not a refused one (default 5 s).
DAPHNE_OPTIONS = ["--websocket_connect_timeout", "30"]
# Connections the kernel holds for the web processes while all are busy or one is restarting.
WEB_BACKLOG = 1024
BURST = 5  # restarts allowed at once within WINDOW seconds
WINDOW = 60.0
MAX_BACKOFF = 60.0


def restart_delay(recent: deque[float], now: float) -> float:
    """Seconds to wait before the next restart, given the times of the recent ones."""
    while recent and now - recent[0] > WINDOW:
        recent.popleft()
    if len(recent) < BURST:
        return 0.0
    return min(MAX_BACKOFF, 2.0 ** (len(recent) - BURST + 1))


@dataclass
class Child:
    name: str
    argv: list[str]
    pass_fds: tuple[int, ...] = ()  # descriptors it inherits: the web processes' shared socket
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)
    recent: deque[float] = field(default_factory=deque)  # when it was restarted lately
    due_at: float | None = None  # when a restart that is waiting out its backoff happens

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            self.argv, cwd=BASE_DIR, env=env, start_new_session=True, pass_fds=self.pass_fds
        )
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


def web_concurrency() -> int:
    """How many web processes: ``WEB_CONCURRENCY``, else one per core this process may run on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity outside Linux
        cores = os.cpu_count() or 1
    return env_int("WEB_CONCURRENCY", cores, minimum=1)


def web_socket(host: str, port: int) -> socket.socket:
    """The one listening socket every web process accepts from (port 0: any free one).

    Bound here rather than by daphne so that N processes share one port: the kernel gives each new
    connection to whichever process accepts first (a busy one is slower to), and while one is
    being restarted its share waits in the backlog instead of being refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(WEB_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def web_children(sock: socket.socket, count: int, *, proxy_headers: bool = False) -> list[Child]:
    """``count`` daphne processes serving ``personalais.asgi`` from ``sock``, each supervised alone.

    ``proxy_headers``: the client's address and scheme come from X-Forwarded-For/-Proto — only
    behind a proxy that sets them and is the only way in (compose's Caddy).
    """
    fd = sock.fileno()
    argv = [PYTHON, "-m", "daphne", "--fd", str(fd), *DAPHNE_OPTIONS]
    if proxy_headers:
        argv.append("--proxy-headers")
    argv.append("personalais.asgi:application")
    names = ["web"] if count == 1 else [f"web-{n}" for n in range(1, count + 1)]
    return [Child(name, list(argv), pass_fds=(fd,)) for name in names]


def _listen_or_exit(host: str, port: int) -> socket.socket:
    try:
        return web_socket(host, port)
    except OSError as exc:
        raise SystemExit(
            f"error: cannot listen on {host}:{port} (web): {exc.strerror}; stop that program or set PORT."
        ) from exc


class Supervisor:
    """Keeps children (and data stores) up: restarts with a budget per window, never a cascade."""

    def __init__(
        self,
        children: list[Child],
        env: dict[str, str],
        services: dict[str, tuple[Callable[[], bool], Callable[[], object]]] | None = None,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    ) -> None:
        self.children = children
        self.env = env
        self.services = services or {}  # name → (is it up?, start it)
        self.log = log
        self._next_probe = 0.0

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now >= self._next_probe:
            self._next_probe = now + 2.0
            for name, (is_up, start) in self.services.items():
                if not is_up():
                    self.log(f"warning: {name} is not answering; starting it again.")
                    try:
                        start()
                    except Exception as exc:  # tried again on the next probe
                        self.log(f"warning: {name} did not start: {exc}")
        for child in self.children:
            self._child_tick(child, now)

    def _child_tick(self, child: Child, now: float) -> None:
        if child.due_at is None:
            code = child.process.poll() if child.process else None
            if code is None:
                return
            delay = restart_delay(child.recent, now)
            child.due_at = now + delay
            waits = f" in {delay:.0f}s (it keeps exiting)" if delay else ""
            self.log(f"warning: {child.name} exited with code {code}; restarting{waits}.")
        if now >= child.due_at:
            child.due_at = None
            child.recent.append(now)
            child.restarts += 1
            child.start(self.env)


def _embedded_watch(env: dict[str, str]) -> dict[str, tuple[Callable[[], bool], Callable[[], object]]]:
    """Probes and starters for the embedded data stores this run started (none for external ones)."""
    watch: dict[str, tuple[Callable[[], bool], Callable[[], object]]] = {}
    if not os.environ.get("DATABASE_URL"):
        watch["PostgreSQL"] = (lambda: _postgres_answers(env["DATABASE_URL"]), embedded.postgres_url)
    if not os.environ.get("REDIS_URL"):
        port = env_int("EMBEDDED_REDIS_PORT", 6390, minimum=1)
        watch["valkey"] = (
            lambda: embedded.redis_ping("127.0.0.1", port),
            lambda: embedded.redis_url(port=port),
        )
    return watch


def _postgres_answers(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _service_env() -> dict[str, str]:
    """Resolve the data stores once, so children connect directly instead of each checking."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    env["PYTHONUNBUFFERED"] = "1"
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded.postgres_url(env.get("EMBEDDED_DATABASE_NAME") or "personalais")
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
    _require_free_port(emulator_port, "Spotify emulator", "EMULATOR_PORT")
    # Opt-in: LLM_STANDIN=1 with no LLM configured serves the agent from the local stand-in LLM.
    standin_port = env_int("LLM_STANDIN_PORT", 8766, minimum=1)
    with_standin = env_bool("LLM_STANDIN", False) and not os.environ.get("LLM_BASE_URL")
    if with_standin:
        _require_free_port(standin_port, "LLM stand-in", "LLM_STANDIN_PORT")
    # Held from now on: a browser that comes early waits in the backlog until a web process is up.
    listener = _listen_or_exit("127.0.0.1", port)
    try:
        env = _service_env()
    except embedded.EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if "SPOTIFY_API_BASE_URL" not in env and not env.get("SPOTIFY_CLIENT_SECRET"):
        # The emulator stands in for Spotify: give the demo app a secret both sides know, so the
        # worker can use the app's own token (album covers for catalog tracks), as with real Spotify.
        secret = secrets.token_urlsafe(18)
        env["SPOTIFY_CLIENT_SECRET"] = secret
        env["SPOTIFY_EMULATOR_APPS"] = f"{env.get('SPOTIFY_CLIENT_ID', 'personalais-demo')}:{secret}"
    env.setdefault("SPOTIFY_API_BASE_URL", f"http://127.0.0.1:{emulator_port}/v1/")
    env.setdefault("SPOTIFY_ACCOUNTS_BASE_URL", f"http://127.0.0.1:{emulator_port}/")
    if with_standin:
        env.update(LLM_BASE_URL=f"http://127.0.0.1:{standin_port}/v1", LLM_MODEL="standin", LLM_API_KEY="")
    try:
        _manage(env, "migrate", "--no-input", "-v", "0")
    except subprocess.CalledProcessError as exc:
        print(f"error: set-up step failed ({' '.join(exc.cmd[1:])}); see the output above.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted during set-up; the next `make run` picks up where this one stopped.")
        embedded.stop_all()
        return 130
    # The demo data loads beside the children starting up: on a warm start it finds everything in
    # place within a second or two, while the web processes load their models and the worker
    # connects (each several seconds of start-up) — one after the other, a restart took ~17 s.
    seeding = subprocess.Popen([PYTHON, "manage.py", "seed_demo"], cwd=BASE_DIR, env=env)

    state = embedded.state_dir()
    web = web_children(listener, web_concurrency())
    children = [
        Child("emulator", [PYTHON, "-m", "standins.spotify_emulator", "--port", str(emulator_port)]),
        *web,
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

    def banner() -> str:  # printed once the demo data is in, so the time is then
        return (
            f"\nPersonalAIs is up in {time.monotonic() - started:.1f}s: http://127.0.0.1:{port}/"
            f" ({len(web)} web process{'es' if len(web) > 1 else ''}; WEB_CONCURRENCY sets how many)\n"
            "  “Log in with Spotify” and pick a demo listener on the emulator's consent page\n"
            f"  ({_demo_listeners()}), or sign up with any email.\n"
            f"  Admin: http://127.0.0.1:{port}/admin/"
            "  Staff login: .venv/bin/python manage.py createsuperuser\n"
            f"  Spotify emulator: http://127.0.0.1:{emulator_port}/   Health: http://127.0.0.1:{port}/healthz\n"
            + (f"  LLM stand-in: {env['LLM_BASE_URL']}\n" if with_standin else "")
            + "  Press Ctrl-C to stop everything.\n"
        )

    try:
        return _supervise(children, env, _embedded_watch(env), banner, setup=seeding)
    finally:
        if not env_bool("KEEP_EMBEDDED_SERVICES", False):
            embedded.stop_all()


def serve_web(argv: list[str]) -> int:
    """``python -m personalais.stack web``: only the web processes, supervised as in ``make run``.

    For a server or the Docker image: the data stores, migrations, worker and beat run elsewhere
    (compose's services), and settings come from the environment.
    """
    parser = argparse.ArgumentParser(
        prog="python -m personalais.stack web",
        description="WEB_CONCURRENCY daphne processes (default: one per core) on one port (PORT, 8000).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 in a container")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="take the client's address and scheme from X-Forwarded-For/-Proto (only behind a proxy)",
    )
    args = parser.parse_args(argv)
    port = env_int("PORT", 8000, minimum=1)
    listener = _listen_or_exit(args.host, port)
    children = web_children(listener, web_concurrency(), proxy_headers=args.proxy_headers)
    banner = f"PersonalAIs web: {len(children)} daphne process(es) on {args.host}:{port}"
    return _supervise(children, dict(os.environ), {}, lambda: banner)


def _supervise(
    children: list[Child],
    env: dict[str, str],
    services: dict[str, tuple[Callable[[], bool], Callable[[], object]]],
    banner: Callable[[], str],
    setup: subprocess.Popen | None = None,
) -> int:
    """Start the children, keep them (and the data stores) up until SIGINT/SIGTERM, then stop them.

    ``setup`` (the demo data loading) runs beside them: the banner waits for it, and if it fails
    everything stops with exit code 1.
    """
    stopping = False
    code = 0

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    for child in children:
        child.start(env)
    if setup is None:
        print(banner(), flush=True)
    supervisor = Supervisor(children, env, services=services)
    try:
        while not stopping:
            time.sleep(0.2 if setup is not None else 0.5)
            if setup is not None and setup.poll() is not None:
                if setup.returncode:
                    print("error: set-up step failed (seed_demo); see the output above.", file=sys.stderr)
                    code, stopping = 1, True
                    break
                print(banner(), flush=True)
                setup = None
            supervisor.tick()
    finally:
        print("\nStopping…", flush=True)
        if setup is not None and setup.poll() is None:
            setup.terminate()
            setup.wait(timeout=30)
        for child in children:
            child.stop()
        for child in children:
            child.wait_stopped(timeout=10)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


if __name__ == "__main__":
    sys.exit(serve_web(sys.argv[2:]) if sys.argv[1:2] == ["web"] else main())
