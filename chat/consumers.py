"""The chat WebSocket: authenticate, read the frame, call a service, forward its events as they happen.

Frames in are ``chat.frames``; events out are ``chat.events``. Every frame in ends with exactly
one ``done``. A bad frame gets an ``error`` event and the socket stays open; only an
unauthenticated socket is closed.

Turns run in a worker thread that is *not* shared between connections (``thread_sensitive=False``),
so one listener's slow turn never queues another's; events cross back to the socket as they occur.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from importlib import import_module
from typing import TypeVar

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django import db
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection
from django.utils import timezone

from . import selectors
from .actions import (
    ActionError,
    feedback_give,
    mood_correction_give,
    playlist_save_from_message,
    write_undo_give,
)
from .agent.turn import MessageNotSaved, TurnError, TurnResult, run_turn
from .events import DoneEvent, ErrorCode, ErrorEvent, Event, TypingEvent
from .frames import (
    CorrectMoodFrame,
    FeedbackFrame,
    FrameRejected,
    MessageFrame,
    OlderFrame,
    SavePlaylistFrame,
    UndoFrame,
    frame_read,
)
from .history import history_before, history_latest

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
AnEvent = TypeVar("AnEvent", bound=Event)
Outcome = TypeVar("Outcome")
DB_SESSIONS = "django.contrib.sessions.backends.db"


class LoggedOut(Exception):
    """The session the socket opened with no longer logs in its listener."""


def as_listener(scope: dict, user: object, work: Callable[[], Outcome]) -> Outcome:
    """``work()``, in the same thread (and database connection) as the session check before it.

    Raises LoggedOut, or MessageNotSaved when the database cannot say.
    """
    try:
        alive = session_still_valid(scope, user)
    except DatabaseError as exc:  # away: nothing can be stored (nor checked); the socket stays
        raise MessageNotSaved() from exc
    if not alive:
        raise LoggedOut
    return work()


def _turn_in_pool_thread(*, scope: dict, emit: Callable[[dict], None], **kwargs: object) -> TurnResult:
    """``run_turn`` in a shared pool thread after the session check, with the connection handled
    as after a request; "typing" goes out once the listener is known to be still logged in.

    Pool threads outlive requests and Django's request-end cleanup never reaches them, so the
    turn closes its connection itself — unless ``DB_CONN_MAX_AGE`` asks to keep it (then only a
    broken or expired one is closed).
    """

    def turn() -> TurnResult:
        emit(TypingEvent().wire())
        return run_turn(emit=emit, **kwargs)  # type: ignore[arg-type]

    try:
        return as_listener(scope, kwargs["user"], turn)
    finally:
        if db.connection.settings_dict.get("CONN_MAX_AGE"):
            db.close_old_connections()
        else:
            db.connection.close()


def session_still_valid(scope: dict, user: object) -> bool:
    """Whether the session the socket opened with still logs in this user (one session read).

    Logging out deletes the session; an open socket must stop acting for the listener then.
    With database sessions, a row that still holds the key, unexpired, is enough: logging in
    gives the session a new key (the old row goes), so a key never changes hands between
    listeners, and reading one indexed row skips loading and verifying the session's data.
    """
    session = scope.get("session")
    if session is None or session.session_key is None:
        return False
    if settings.SESSION_ENGINE == DB_SESSIONS:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Session._meta.db_table} WHERE session_key = %s AND expire_date > %s",
                [session.session_key, timezone.now()],
            )
            return cursor.fetchone() is not None
    fresh = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
    return str(fresh.get(SESSION_KEY)) == str(getattr(user, "pk", None))


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            # Accept, then close with our code: a close before accept reaches the browser as a bare
            # 1006 (HTTP 403), and the page could not tell "log in again" from "reconnect".
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        await self._send(await database_sync_to_async(history_latest)(user=self.user))
        notice = await database_sync_to_async(selectors.spotify_notice)(user=self.user)
        if notice is not None:
            await self._send(notice)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch, less its ``close_old_connections`` in the process's one sync thread
        before every frame: that connection is not the one our work uses (every database call here
        runs in ``database_sync_to_async``, which tidies its own thread's connection), and the hop
        cost a thread trip per frame, queued behind every other socket's."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Every frame is checked against the session (a listener who logged out elsewhere gets
        # nothing more from this socket); a frame that does work is checked in the same thread
        # call as its work, so a turn costs one trip to a thread and one connection check.
        try:
            frame = frame_read(text_data)
        except FrameRejected as rejected:
            if await self._still_logged_in():
                await self._error(rejected.code, rejected.message)
            return
        match frame:
            case MessageFrame():
                await self._on_message(frame)
            case SavePlaylistFrame():
                await self._act(
                    partial(playlist_save_from_message, message_id=frame.message_id, name=frame.name),
                    crashed="Something went wrong on our side while saving the playlist.",
                )
            case FeedbackFrame():
                await self._act(
                    partial(
                        feedback_give, message_id=frame.message_id, track_id=frame.track_id, kind=frame.kind
                    ),
                    crashed="Something went wrong on our side; the feedback was not saved.",
                )
            case CorrectMoodFrame():
                await self._act(
                    partial(mood_correction_give, message_id=frame.message_id, label=frame.label),
                    crashed="Something went wrong on our side; the mood was not changed.",
                )
            case OlderFrame():
                await self._act(
                    partial(history_before, before_id=frame.before_id),
                    crashed="Something went wrong on our side; older messages could not be loaded.",
                )
            case UndoFrame():
                await self._act(
                    partial(write_undo_give, write_id=frame.write_id),
                    crashed="Something went wrong on our side; nothing was undone.",
                )

    async def _still_logged_in(self) -> bool:
        """The session check alone; False once the socket is answered (database away) or closed."""
        try:
            # In the shared pool, not the process's one sync thread: a busy listener's frames
            # must not queue behind others' work.
            check = database_sync_to_async(as_listener, thread_sensitive=False)
            await check(self.scope, self.user, lambda: None)
        except (LoggedOut, MessageNotSaved) as refusal:
            await self._refuse(refusal)
            return False
        return True

    async def _refuse(self, refusal: LoggedOut | MessageNotSaved) -> None:
        """Close a socket whose session is gone (logged out, or expired, since it opened); or
        say the database is away, keeping the socket."""
        if isinstance(refusal, LoggedOut):
            await self.close(code=CLOSE_UNAUTHENTICATED)
        else:
            await self._error("not_saved", refusal.message)

    async def _on_message(self, frame: MessageFrame) -> None:
        began = time.perf_counter()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[dict | None] = asyncio.Queue()

        def emit(event: dict) -> None:
            # From the turn's thread: hand the frame to the loop and go on (no wait for the send).
            # Callbacks run in the order they were scheduled, and the turn's own completion is
            # scheduled after its last emit, so every frame is queued before the turn returns.
            loop.call_soon_threadsafe(outbox.put_nowait, event)

        forwarding = asyncio.create_task(self._forward(outbox))
        try:
            try:
                result = await database_sync_to_async(_turn_in_pool_thread, thread_sensitive=False)(
                    scope=self.scope, user=self.user, text=frame.text, emit=emit
                )
            finally:  # the turn's events go out before whatever follows (done, an error)
                outbox.put_nowait(None)
                await forwarding
        except (LoggedOut, MessageNotSaved) as refusal:
            await self._refuse(refusal)
            return
        except TurnError as exc:
            await self._error("turn_failed", exc.message)
            return
        except Exception:
            logger.exception("chat turn crashed for user %s", self.user.pk)
            await self._error("internal", "Something went wrong on our side; your message is saved.")
            return
        turn_ms = round(1000 * (time.perf_counter() - began), 1)
        await self._send(DoneEvent(llm_ms=round(1000 * result.llm_seconds, 1), turn_ms=turn_ms))

    async def _act(self, action: partial[AnEvent], *, crashed: str) -> None:
        """Run one button's service for this listener; answer with its event, or say why not."""
        try:
            event = await database_sync_to_async(as_listener)(
                self.scope, self.user, partial(action, user=self.user)
            )
        except (LoggedOut, MessageNotSaved) as refusal:
            await self._refuse(refusal)
            return
        except ActionError as exc:
            await self._error("action_failed", exc.message)
            return
        except Exception:
            logger.exception("%s crashed for user %s", action.func.__name__, self.user.pk)
            await self._error("internal", crashed)
            return
        await self._send(event)
        await self._send(DoneEvent())

    async def _error(self, code: ErrorCode, message: str) -> None:
        await self._send(ErrorEvent(code=code, message=message))
        await self._send(DoneEvent())

    async def _send(self, event: Event) -> None:
        await self.send_json(event.wire())

    async def _forward(self, outbox: asyncio.Queue[dict | None]) -> None:
        """Send a running turn's events in order until None; a listener who left just misses
        them (history has them)."""
        while (frame := await outbox.get()) is not None:
            try:
                await self.send_json(frame)
            except Exception:  # the socket closed mid-turn: the turn still finishes and is stored
                logger.info("listener %s left mid-turn; event %s dropped", self.user.pk, frame.get("type"))
