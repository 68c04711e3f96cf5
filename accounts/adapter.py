"""allauth's account adapter, with failed-login lockouts kept to the address that failed.

allauth counts failed logins per account (5 in 5 minutes) and then refuses *every* login to
it, the owner's correct password included: anyone could lock a listener out by typing their
email with wrong passwords. Here the per-account count is per account *and* client address,
so a stranger's failures block the stranger; allauth's per-address limit (10 a minute) still
bounds how fast any one address may guess.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return (
            f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"
        )
