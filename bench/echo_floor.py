"""The floor: a bare Channels echo on the chat socket's path, so a bench can say what the server alone costs.

``bench/chat_ws.py`` serves ``bench.echo_floor:application`` with the same server program,
options, process count, settings (hence the same channel layer) and client pattern as the app,
and prints both side by side: whatever the app's turn costs above the floor is the app's own work.

On connect the consumer accepts and sends an empty ``history`` event (the app's first event);
every frame in is answered with one ``done`` event that carries the frame back. No origin check,
no session, no database: those are the app's work. HTTP answers 204, so a readiness probe sees it.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

APPLICATION = "bench.echo_floor:application"


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"type": "history", "messages": []})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"type": "done", "echo": content})


async def no_content(scope: dict, receive: Any, send: Any) -> None:
    """Any HTTP request: 204 (lifespan and other scopes are not served)."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


application = ProtocolTypeRouter(
    {"http": no_content, "websocket": URLRouter([path("ws/chat/", EchoConsumer.as_asgi())])}
)
