"""A Redis cache that stays a cache: when Redis is away, reads miss and writes are skipped.

Nothing we keep in the cache is the only copy (lyrics, fitted models, rate-limit counters), so
a stalled or dead Redis must cost speed, never a page: without this, allauth's login rate
limiter answered 500 while valkey stalled. Each failure is logged (once a minute per process),
and the socket timeouts are short so a frozen Redis costs a request at most ``TIMEOUT_SECONDS``.
While Redis is away, login rate limits are not counted: the site stays usable and says so in
the log; they are counted again as soon as it is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5
_AWAY = (RedisConnectionError, RedisTimeoutError, OSError)
_last_logged = 0.0


def _missing(name: str, default: Callable[[tuple, dict], Any]) -> Callable[..., Any]:
    def call(self: ForgivingRedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except _AWAY as exc:
            global _last_logged
            if time.monotonic() - _last_logged > 60:
                _last_logged = time.monotonic()
                logger.warning("cache unavailable (%s: %s); carrying on without it", type(exc).__name__, exc)
            return default(args, kwargs)

    call.__name__ = name
    return call


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})

    get = _missing("get", lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("default"))
    get_many = _missing("get_many", lambda args, kwargs: {})
    has_key = _missing("has_key", lambda args, kwargs: False)
    set = _missing("set", lambda args, kwargs: None)
    set_many = _missing("set_many", lambda args, kwargs: [])
    add = _missing("add", lambda args, kwargs: True)
    touch = _missing("touch", lambda args, kwargs: False)
    delete = _missing("delete", lambda args, kwargs: False)
    delete_many = _missing("delete_many", lambda args, kwargs: None)
    incr = _missing("incr", lambda args, kwargs: 1)
    clear = _missing("clear", lambda args, kwargs: None)
