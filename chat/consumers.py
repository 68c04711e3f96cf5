"""The chat WebSocket: authenticate, validate the frame, run a turn, forward its events as they happen.

Frames in: ``{"type": "message", "text": "..."}``, ``{"type": "save_playlist", "message_id": N,
"name": "..."}``, ``{"type": "feedback", "message_id": N, "track_id": N, "kind": "like"}`` and
``{"type": "correct_mood", "message_id": N, "label": "sadness"}``. Frames out: typed events
(``history``, ``notice``, ``typing``, ``mood``, ``token``, ``message``, ``tracks``, ``action``,
``error``, ``done``); every frame in ends with exactly one ``done``. Bad frames get an ``error``
event and the socket stays open; only an unauthenticated socket is closed.

Turns run in a worker thread that is *not* shared between connections (``thread_sensitive=False``),
so one listener's slow turn never queues another's; events cross back to the socket as they occur.
"""

from __future__ import annotations

import json
import logging
import time

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django import db
from django.conf import settings
from django.urls import reverse

from spotify.selectors import spotify_status

from . import selectors
from .actions import ActionError, feedback_give, playlist_save_from_message
from .agent.turn import TurnError, TurnResult, run_turn
from .services import MoodCorrectionError, mood_correct

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


def _turn_in_pool_thread(**kwargs: object) -> TurnResult:
    """``run_turn`` in a shared pool thread, with the connection handled as after a request.

    Pool threads outlive requests and Django's request-end cleanup never reaches them, so the
    turn closes its connection itself — unless ``DB_CONN_MAX_AGE`` asks to keep it (then only a
    broken or expired one is closed).
    """
    try:
        return run_turn(**kwargs)  # type: ignore[arg-type]
    finally:
        if db.connection.settings_dict.get("CONN_MAX_AGE"):
            db.close_old_connections()
        else:
            db.connection.close()


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        await self.send_json({"type": "history", "messages": await self._history()})
        notice = await self._spotify_notice()
        if notice:
            await self.send_json(notice)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._error("bad_frame", "Send JSON text frames, not binary.")
            return
        if len(text_data) > settings.CHAT_MAX_MESSAGE_CHARS * 4:
            await self._error("too_large", "That message is too large.")
            return
        try:
            content = json.loads(text_data)
        except json.JSONDecodeError:
            await self._error("bad_frame", "That frame is not valid JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: object, **kwargs: object) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "message":
            await self._on_message(content)  # type: ignore[arg-type]
        elif kind == "save_playlist":
            await self._on_save_playlist(content)  # type: ignore[arg-type]
        elif kind == "feedback":
            await self._on_feedback(content)  # type: ignore[arg-type]
        elif kind == "correct_mood":
            await self._on_correct_mood(content)  # type: ignore[arg-type]
        else:
            await self._error("bad_frame", 'Expected {"type": "message", "text": "..."}.')

    async def _on_save_playlist(self, content: dict) -> None:
        message_id, name = content.get("message_id"), content.get("name")
        if not isinstance(message_id, int) or not isinstance(name, str) or not name.strip():
            await self._error("bad_frame", "Saving a playlist needs a message_id and a name.")
            return
        try:
            event = await self._save_playlist(message_id, name[:100])
        except ActionError as exc:
            await self._error("action_failed", exc.message)
            return
        except Exception:
            logger.exception("saving a playlist crashed for user %s", self.user.pk)
            await self._error("internal", "Something went wrong on our side while saving the playlist.")
            return
        await self.send_json(event)
        await self.send_json({"type": "done"})

    async def _on_feedback(self, content: dict) -> None:
        message_id, track_id, feedback = (
            content.get("message_id"),
            content.get("track_id"),
            content.get("kind"),
        )
        if not isinstance(message_id, int) or not isinstance(track_id, int) or not isinstance(feedback, str):
            await self._error("bad_frame", "Feedback needs a message_id, a track_id and a kind.")
            return
        try:
            event = await database_sync_to_async(feedback_give)(
                user=self.user, message_id=message_id, track_id=track_id, kind=feedback
            )
        except ActionError as exc:
            await self._error("action_failed", exc.message)
            return
        except Exception:
            logger.exception("feedback crashed for user %s", self.user.pk)
            await self._error("internal", "Something went wrong on our side; the feedback was not saved.")
            return
        await self.send_json(event)
        await self.send_json({"type": "done"})

    async def _on_correct_mood(self, content: dict) -> None:
        message_id, label = content.get("message_id"), content.get("label")
        if not isinstance(message_id, int) or not isinstance(label, str):
            await self._error("bad_frame", "A mood correction needs a message_id and a label.")
            return
        try:
            reading = await database_sync_to_async(mood_correct)(
                user=self.user, message_id=message_id, label=label
            )
        except MoodCorrectionError as exc:
            await self._error("action_failed", str(exc))
            return
        except Exception:
            logger.exception("mood correction crashed for user %s", self.user.pk)
            await self._error("internal", "Something went wrong on our side; the mood was not changed.")
            return
        mood = {
            "label": reading.label,
            "valence": reading.valence,
            "arousal": reading.arousal,
            "confidence": reading.confidence,
            "corrected": True,
        }
        await self.send_json({"type": "mood", "message_id": message_id, "mood": mood})
        await self.send_json({"type": "done"})

    async def _on_message(self, content: dict) -> None:
        text = content.get("text")
        if not isinstance(text, str) or not text.strip():
            await self._error("empty", "Type a message first.")
            return
        if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
            await self._error(
                "too_long", f"Messages can be at most {settings.CHAT_MAX_MESSAGE_CHARS} characters."
            )
            return
        await self.send_json({"type": "typing"})
        began = time.perf_counter()
        try:
            result = await self._run_turn(text.strip())
        except TurnError as exc:
            await self._error("turn_failed", exc.message)
            return
        except Exception:
            logger.exception("chat turn crashed for user %s", self.user.pk)
            await self._error("internal", "Something went wrong on our side; your message is saved.")
            return
        turn_ms = round(1000 * (time.perf_counter() - began), 1)
        await self.send_json(
            {"type": "done", "llm_ms": round(1000 * result.llm_seconds, 1), "turn_ms": turn_ms}
        )

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
        await self.send_json({"type": "done"})

    @database_sync_to_async
    def _history(self) -> list[dict]:
        return selectors.conversation_messages(user=self.user)

    @database_sync_to_async
    def _spotify_notice(self) -> dict | None:
        status = spotify_status(user=self.user)
        if not status.needs_action:
            return None
        return {"type": "notice", "text": status.message, "url": reverse("spotify:library")}

    @database_sync_to_async
    def _save_playlist(self, message_id: int, name: str) -> dict:
        return playlist_save_from_message(user=self.user, message_id=message_id, name=name)

    async def _run_turn(self, text: str) -> TurnResult:
        send = async_to_sync(self._send_event)
        return await database_sync_to_async(_turn_in_pool_thread, thread_sensitive=False)(
            user=self.user, text=text, emit=send
        )

    async def _send_event(self, event: dict) -> None:
        """Forward one event of a running turn; a listener who left just misses it (history has it)."""
        try:
            await self.send_json(event)
        except Exception:  # the socket closed mid-turn: the turn still finishes and is stored
            logger.info("listener %s left mid-turn; event %s dropped", self.user.pk, event.get("type"))
