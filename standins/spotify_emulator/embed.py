"""Spotify's embed player (``open.spotify.com/embed/track/{id}``), as far as an offline stand-in can.

The real page shows the cover, title and artists with a play button, and plays a preview (or the
whole track for a browser logged in to Spotify). Offline there is no audio to play: the stand-in
shows the same card and says so, so the app's player can be built and tested against what a
person would see.
"""

from __future__ import annotations

import html

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.spotify_emulator.store import StoreError
from standins.web.responses import body_response

STYLE = """
body{margin:0;font-family:system-ui,sans-serif;background:#282828;color:#fff;height:100vh;overflow:hidden}
.card{display:flex;gap:12px;align-items:center;padding:12px;height:100%;box-sizing:border-box}
img{width:64px;height:64px;border-radius:6px;flex:none}
.text{min-width:0;flex:1}
h1{font-size:15px;margin:0 0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
p{margin:0;font-size:13px;color:#b3b3b3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
small{display:block;margin-top:6px;font-size:11px;color:#8a8a8a}
"""


def embed_track(call: Call) -> Response:
    try:
        track = call.store.track(call.params["track_id"])
    except StoreError:
        page = "<!doctype html><title>Page not found</title><p>Page not found</p>"
        return body_response(404, page.encode(), "text/html; charset=utf-8")
    album = call.store.albums.get(track["album_id"] or "")
    names = ", ".join(call.store.artists[a]["name"] for a in track["artist_ids"] if a in call.store.artists)
    cover = call.shapes.images(album["id"])[1]["url"] if album else ""
    title = html.escape(track["name"])
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<div class="card" data-track-id="{html.escape(track["id"])}">'
        + (f'<img src="{html.escape(cover)}" alt="">' if cover else "")
        + f'<div class="text"><h1>{title}</h1><p>{html.escape(names)}</p>'
        "<small>Spotify emulator — offline, no audio</small></div></div></body></html>"
    )
    return body_response(200, page.encode(), "text/html; charset=utf-8")


ROUTES = [api_route("/embed/track/{track_id}", embed_track, auth=False)]
