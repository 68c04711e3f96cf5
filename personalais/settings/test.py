"""Tests: the same real PostgreSQL + pgvector and Redis as dev, on separate databases.

Redis database 2 keeps test tasks away from a dev worker on database 0. The test
database name is fixed so a Celery worker subprocess can be pointed at it.
"""

import os

os.environ.setdefault("EMBEDDED_REDIS_DB", "2")

from .base import *  # noqa: F403
from .base import DATABASES, env_bool, env_str

DEBUG = False
SECRET_KEY = "test-only-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
FIELD_ENCRYPTION_KEY = "dGVzdC1vbmx5LWZpZWxkLWtleS0zMi1ieXRlcy0wMDA="
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Override to run two suites at once against one server (each gets its own database).
TEST_DATABASE_NAME = env_str("TEST_DATABASE_NAME", "test_personalais")
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
# Servers and workers the tests start close their connections at once, so the test database can
# be dropped the moment they stop.
DATABASES["default"]["CONN_MAX_AGE"] = 0
if env_bool("PERSONALAIS_USE_TEST_DATABASE", False):
    # A worker/server subprocess started by the tests talks to the test database directly.
    DATABASES["default"]["NAME"] = TEST_DATABASE_NAME
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files from the apps without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
