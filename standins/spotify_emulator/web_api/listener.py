"""The listener's own data: profile, top items, recently played (time cursors), followed artists."""

from __future__ import annotations

from datetime import datetime

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import Obj, StoreError

RANGES = ("short_term", "medium_term", "long_term")


def me(call: Call) -> Obj:
    return call.shapes.me(call.user)


def top_tracks(call: Call) -> Obj:
    return _top_items(call, "tracks")


def top_artists(call: Call) -> Obj:
    return _top_items(call, "artists")


def _top_items(call: Call, kind: str) -> Obj:
    time_range = call.query.get("time_range", "medium_term")
    if time_range not in RANGES:
        raise StoreError(400, "Invalid time_range")
    limit, offset = call.number("limit", 20, 50), call.number("offset", 0, 100_000)
    ids = call.user[f"top_{kind}"][time_range]
    if kind == "tracks":
        items = [call.shapes.track(call.store.tracks[i]) for i in ids[offset : offset + limit]]
    else:
        items = [call.shapes.artist(call.store.artists[i]) for i in ids[offset : offset + limit]]
    page = call.shapes.page
    return page(f"/me/top/{kind}", {"time_range": time_range}, items, offset, limit, len(ids))


def recently_played(call: Call) -> Obj:
    """Newest first. ``before``/``after`` are Unix ms cursors; ``next`` keeps going back in time."""
    limit = call.number("limit", 20, 50)
    before, after = call.query.get("before"), call.query.get("after")
    if before and after:
        raise StoreError(400, "Only one of before and after may be given")
    for cursor in (before, after):
        if cursor is not None and not cursor.isdigit():
            raise StoreError(400, "Invalid cursor")
    plays = sorted(
        ((_ms(p["played_at"]), p) for p in call.user["recently_played"]), key=lambda x: x[0], reverse=True
    )
    if after:
        newer = [p for p in plays if p[0] > int(after)]
        page = newer[-limit:]  # the plays right after the cursor, still newest first
        next_query = {"after": str(page[0][0])} if len(newer) > limit else None
    else:
        older = [p for p in plays if before is None or p[0] < int(before)]
        page = older[:limit]
        next_query = {"before": str(page[-1][0])} if len(older) > limit else None
    items = [
        {
            "track": call.shapes.track(call.store.tracks[p["track_id"]]),
            "played_at": p["played_at"],
            "context": None,
        }
        for _, p in page
    ]
    cursors = {"after": str(page[0][0]), "before": str(page[-1][0])} if page else None
    return call.shapes.cursor_page("/me/player/recently-played", {}, items, limit, cursors, next_query)


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def following(call: Call) -> Obj:
    if call.query.get("type") != "artist":
        raise StoreError(400, "Only valid type is artist")
    limit = call.number("limit", 20, 50)
    followed = call.user["followed_artists"]
    after = call.query.get("after")
    start = followed.index(after) + 1 if after in followed else 0
    ids = followed[start : start + limit]
    more = start + limit < len(followed)
    cursors = {"after": ids[-1] if ids and more else None}
    items = [call.shapes.artist(call.store.artists[i]) for i in ids]
    next_query = {"after": ids[-1]} if ids and more else None
    page = call.shapes.cursor_page("/me/following", {"type": "artist"}, items, limit, cursors, next_query)
    return {"artists": {**page, "total": len(followed)}}


ROUTES = [
    api_route("/v1/me", me),
    api_route("/v1/me/top/tracks", top_tracks),
    api_route("/v1/me/top/artists", top_artists),
    api_route("/v1/me/player/recently-played", recently_played),
    api_route("/v1/me/following", following),
]
