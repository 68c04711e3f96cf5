"""Spotify's accounts service: the consent page, the authorization-code (PKCE) and refresh grants,
and the client-credentials grant (a token of the app's own, for the catalog only).

The consent page stands in for Spotify's login: one button per demo listener. Token requests
refuse in OAuth's own shape (``GrantError``), not the Web API's.
"""

from __future__ import annotations

import base64
import html
from urllib.parse import urlencode

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import GrantError
from standins.web.responses import body_response, json_response


def authorize_page(call: Call) -> Response:
    """The consent page: one button per demo listener, standing in for Spotify's login."""
    query = call.query
    if not query.get("client_id") or not query.get("redirect_uri") or query.get("response_type") != "code":
        message = "INVALID_CLIENT: client_id, redirect_uri and response_type=code are required"
        return body_response(400, message.encode(), "text/plain; charset=utf-8")
    keep = ("client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method")
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">' for name in keep
    )
    buttons = "".join(
        f'<button name="user_id" value="{html.escape(user["id"])}">{html.escape(user["display_name"])}'
        f"<small>{html.escape(user['taste'])}</small></button>"
        for user in call.store.users.values()
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Spotify emulator: log in</title><style>
body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;background:#121212;color:#eee}}
button{{display:block;width:100%;margin:.5rem 0;padding:.8rem;border:0;border-radius:2rem;
background:#1db954;font-size:1rem;cursor:pointer}} small{{display:block;opacity:.7}}
button.deny{{background:#444;color:#eee}}</style></head><body>
<h1>Spotify emulator</h1><p>{html.escape(query["client_id"])} asks to see your listening.
Choose a demo listener:</p><form method="post" action="/authorize">{hidden}{buttons}
<button class="deny" name="deny" value="1">Cancel</button></form></body></html>"""
    return body_response(200, page.encode(), "text/html; charset=utf-8")


def authorize_decide(call: Call) -> Response:
    form = call.form()
    redirect_uri = form.get("redirect_uri", "")
    if not redirect_uri:
        return body_response(400, b"redirect_uri is required", "text/plain; charset=utf-8")
    if form.get("deny"):
        params = {"error": "access_denied"}
    else:
        if form.get("user_id") not in call.store.users:
            return body_response(400, b"unknown listener", "text/plain; charset=utf-8")
        code = call.store.code_issue(
            form["user_id"],
            form.get("client_id", ""),
            redirect_uri,
            form.get("scope", ""),
            form.get("code_challenge", ""),
            form.get("code_challenge_method", ""),
        )
        params = {"code": code}
    if form.get("state"):
        params["state"] = form["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return body_response(
        302, b"", "text/plain", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"}
    )


def token(call: Call) -> Response:
    form = call.form()
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = call.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            raise GrantError("invalid_client", "Invalid client") from None
    grant_type = form.get("grant_type", "")
    if grant_type == "client_credentials":
        body = call.store.client_credentials(client_id, secret)
    elif grant_type == "authorization_code":
        body = call.store.code_exchange(
            form.get("code", ""), client_id, form.get("redirect_uri", ""), form.get("code_verifier", "")
        )
    elif grant_type == "refresh_token":
        body = call.store.refresh(form.get("refresh_token", ""), client_id)
    else:
        raise GrantError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    return json_response(200, body, {"Cache-Control": "no-store"})


ROUTES = [
    api_route("/authorize", authorize_page, auth=False),
    api_route("/authorize", authorize_decide, ["POST"], auth=False),
    api_route("/api/token", token, ["POST"], auth=False),
]
