"""Environment helpers that fail loudly on nonsense instead of guessing.

Every setting that comes from the environment goes through one of these, so a
typo such as ``DEBUG=ture`` stops start-up with a message naming the variable.
Secrets may also come from ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


@overload
def env_str(name: str) -> str: ...
@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None) -> str | None: ...


def env_str(name: str, default: str | object | None = _MISSING) -> str | None:
    """The variable's value, or ``<NAME>_FILE``'s contents, or the default.

    With no default the variable is required: production secrets are declared
    this way so a missing one is an error, never a silent fallback.
    """
    if name in os.environ:
        return os.environ[name]
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            with open(file_path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    if default is _MISSING:
        raise ImproperlyConfigured(f"Set the environment variable {name} (or {name}_FILE).")
    return default  # type: ignore[return-value]


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str) -> str:
    """A base URL, always ending in "/" so that ``urljoin(base, "me")`` keeps its path."""
    value = (env_str(name, default) or default).strip()
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name}={value!r} is not an http(s) URL.")
    return value if value.endswith("/") else value + "/"
