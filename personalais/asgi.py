"""ASGI entry point: HTTP goes to Django, WebSockets to the chat consumer.

WebSockets pass the same-origin check (``personalais.ws_origin``: scheme, host and port) and the
session auth middleware before any consumer code runs.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from personalais.env import env_bool  # noqa: E402
from personalais.warm import web_process_warm  # noqa: E402
from personalais.ws_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if env_bool("WEB_WARM", True):
    web_process_warm()
