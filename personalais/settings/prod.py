"""Production: every secret from the environment, no defaults; HTTPS everywhere."""

import os

os.environ.setdefault("EMBEDDED_SERVICES", "0")

from .base import *  # noqa: F403
from .base import env_bool, env_int, env_str, env_url, spotify_login_settings

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")

SPOTIFY_API_BASE_URL = env_url("SPOTIFY_API_BASE_URL", "https://api.spotify.com/v1/")
SPOTIFY_ACCOUNTS_BASE_URL = env_url("SPOTIFY_ACCOUNTS_BASE_URL", "https://accounts.spotify.com/")
SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET", "")
SOCIALACCOUNT_PROVIDERS = spotify_login_settings(SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
