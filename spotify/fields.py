"""Encryption at rest for secrets stored in the database (Spotify tokens).

Values are Fernet tokens keyed from ``settings.FIELD_ENCRYPTION_KEY``. The setting may list
several comma-separated keys: the first encrypts, all decrypt, so keys rotate without a
migration (re-save rows to move them onto the new key).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    secrets = [key.strip() for key in keys.split(",") if key.strip()]
    if not secrets:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty; tokens cannot be stored safely.")
    # Any string works as a key: it is stretched to the 32 bytes Fernet needs.
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())) for secret in secrets]
    )


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY; was the key changed "
            "without keeping the old one after a comma?"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column that only ever holds ciphertext; Python code sees plain text."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: object) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(str(value))
