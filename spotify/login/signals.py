"""Capture Spotify tokens from allauth's login/connect flows into our encrypted SpotifyLink.

allauth is told not to store tokens (they would sit in plain text); these receivers take the
token from the in-flight social login, save it encrypted, and queue the first library sync.
"""

from __future__ import annotations

import logging

from allauth.account.signals import user_signed_up
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.signals import social_account_added, social_account_removed, social_account_updated
from django.db import transaction
from django.dispatch import receiver

from spotify.disconnect import synced_data_forget
from spotify.login.views import GRANTED_SCOPE
from spotify.services import library_sync_queued
from spotify.tasks import sync_library
from spotify.tokens import TokenGrant, expires_at_from, link_save

logger = logging.getLogger(__name__)


def _save_spotify_link(sociallogin: SocialLogin | None) -> None:
    if sociallogin is None or sociallogin.account.provider != "spotify" or not sociallogin.token:
        return
    user = sociallogin.user
    if user is None or user.pk is None:
        return  # a signup still in progress; user_signed_up calls again once the user exists
    token = sociallogin.token
    link_save(
        user=user,
        spotify_user_id=sociallogin.account.uid,
        grant=TokenGrant(
            access_token=token.token,
            refresh_token=token.token_secret or None,
            expires_in=expires_at_from(token.expires_at),
            scope=str((sociallogin.account.extra_data or {}).get(GRANTED_SCOPE) or ""),
        ),
    )
    library_sync_queued(user=user)
    transaction.on_commit(lambda: sync_library.delay(user.pk))


@receiver(social_account_added)
def on_spotify_connected(sender: object, request: object, sociallogin: SocialLogin, **kwargs: object) -> None:
    _save_spotify_link(sociallogin)


@receiver(social_account_updated)
def on_spotify_login(sender: object, request: object, sociallogin: SocialLogin, **kwargs: object) -> None:
    _save_spotify_link(sociallogin)


@receiver(user_signed_up)
def on_signup(sender: object, request: object, user: object, **kwargs: object) -> None:
    _save_spotify_link(kwargs.get("sociallogin"))


@receiver(social_account_removed)
def on_spotify_disconnected(sender: object, request: object, socialaccount: object, **kwargs: object) -> None:
    if getattr(socialaccount, "provider", None) == "spotify":
        synced_data_forget(user=socialaccount.user)  # type: ignore[attr-defined]
