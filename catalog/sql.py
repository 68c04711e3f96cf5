"""A cursor for the few large statements a chat turn runs: parameters bound by the server.

Django's psycopg cursors inline every parameter into the SQL text (client-side binding), so a
statement that carries a 384-number vector four times is parsed and planned afresh on every call.
With server-side binding the text stays the same from call to call, the vector travels once, and
psycopg prepares the statement after a few runs on a kept connection (``CONN_MAX_AGE``), so
PostgreSQL plans it once per connection instead of once per turn (``prepare_threshold`` in the
settings: Django's own cursors bind on the client and are never prepared).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def server_bound_cursor(*, binary: bool = False) -> Iterator[CursorWrapper]:
    """A Django cursor (counted and logged as any other) over a server-side-binding psycopg cursor.

    ``binary`` asks for results in PostgreSQL's binary form: numbers and arrays then arrive
    without being parsed from text (~600 rows of floats and arrays: several ms less a turn).
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if binary:
        raw.format = psycopg.pq.Format.BINARY
    cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]  # Django's wrapping: logging, checks
    try:
        yield cursor
    finally:
        cursor.close()
