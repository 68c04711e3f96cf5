"""Album covers: the demo data has no artwork, so each cover is drawn from the album's id and name."""

from __future__ import annotations

import hashlib
import html

from starlette.responses import Response

from standins.spotify_emulator.routing import Call, api_route
from standins.web.responses import body_response


def cover_image(call: Call) -> Response:
    """A generated cover (the demo data has no artwork): a colour from the id and initials."""
    album = call.store.album(call.params["album_id"])
    digest = hashlib.sha256(album["id"].encode()).digest()
    hue, size = digest[0] * 360 // 256, int(call.params["size"])
    initials = html.escape("".join(w[0] for w in album["name"].split()[:2]).upper() or "♪")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="hsl({hue},45%,38%)"/>'
        f'<text x="50" y="62" font-size="34" text-anchor="middle" fill="white" font-family="sans-serif">'
        f"{initials}</text></svg>"
    )
    return body_response(200, svg.encode(), "image/svg+xml", {"Cache-Control": "max-age=86400"})


ROUTES = [api_route("/image/{album_id}/{size:int}", cover_image, auth=False)]
