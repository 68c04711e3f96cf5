"""Local development: zero config, embedded servers, a fixed insecure key."""

from .base import *  # noqa: F403
from .base import env_str

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLTAwMDA=")

# Serve static files from the apps without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
