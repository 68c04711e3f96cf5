"""The emulator's data: the demo catalog and listeners in memory, plus what clients change.

Catalog and listening histories are read-only. Playlists (the listeners' own and any a
client creates) and issued OAuth tokens live in a JSON store file, written atomically after
every change, so a restarted emulator still knows them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from standins.spotify_emulator.demo_data import Obj, listeners_read, music_read

ACCESS_TOKEN_SECONDS = 3600
CODE_SECONDS = 600
REFRESH_TOKEN_SECONDS = 183 * 24 * 3600  # development-mode refresh tokens die ~6 months after consent
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class StoreError(Exception):
    """A client request the data cannot satisfy; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class GrantError(Exception):
    """An OAuth token request to refuse with ``{"error": code, "error_description": ...}``."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(frozen=True)
class AuthCode:
    user_id: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float


def normalize(text: str) -> str:
    """Case- and accent-insensitive form for search ("Beyoncé" matches "beyonce")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def new_id() -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(22))


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmulatorStore:
    """``apps``: client id → client secret of the apps registered "in the developer dashboard",
    the ones that may get a token of their own (client credentials)."""

    def __init__(self, data_dir: Path, store_path: Path, apps: Mapping[str, str] | None = None) -> None:
        self.apps = dict(apps or {})
        self.artists, self.albums, self.tracks = music_read(Path(data_dir))
        self.users, anchor = listeners_read(Path(data_dir))
        self.album_tracks: dict[str, list[str]] = defaultdict(list)
        for track in self.tracks.values():
            if track["album_id"]:
                self.album_tracks[track["album_id"]].append(track["id"])
        self._artist_popularity: dict[str, int] = defaultdict(int)
        for track in self.tracks.values():
            for artist_id in track["artist_ids"]:
                self._artist_popularity[artist_id] += track["popularity"] or 0
        self._search_text = {
            track_id: (
                normalize(t["name"]),
                normalize(" ".join(self.artists[a]["name"] for a in t["artist_ids"])),
                normalize(self.albums[t["album_id"]]["name"]) if t["album_id"] else "",
            )
            for track_id, t in self.tracks.items()
        }
        self.store_path = Path(store_path)
        self.playlists: dict[str, Obj] = self._listener_playlists(anchor)
        self.access_tokens: dict[str, Obj] = {}
        self.refresh_tokens: dict[str, Obj] = {}
        self.codes: dict[str, AuthCode] = {}
        self._lock = threading.RLock()
        self._load()

    # --- persistence ------------------------------------------------------------------------------

    def _listener_playlists(self, added_at: str) -> dict[str, Obj]:
        playlists = {}
        for user in self.users.values():
            for playlist in user["playlists"]:
                playlists[playlist["id"]] = {
                    "id": playlist["id"],
                    "name": playlist["name"],
                    "description": playlist["description"],
                    "owner": user["id"],
                    "public": False,
                    "collaborative": False,
                    "version": 1,
                    "items": [{"track_id": t, "added_at": added_at} for t in playlist["track_ids"]],
                }
        return playlists

    def _load(self) -> None:
        if not self.store_path.exists():
            return
        document = json.loads(self.store_path.read_text(encoding="utf-8"))
        for playlist in document.get("playlists", {}).values():
            # Demo data may have been rebuilt since: drop tracks the catalog no longer has.
            playlist["items"] = [i for i in playlist["items"] if i["track_id"] in self.tracks]
            self.playlists[playlist["id"]] = playlist
        self.access_tokens = document.get("access_tokens", {})
        self.refresh_tokens = document.get("refresh_tokens", {})

    def _save(self) -> None:
        document = {
            "playlists": self.playlists,
            "access_tokens": {t: v for t, v in self.access_tokens.items() if v["expires_at"] > time.time()},
            "refresh_tokens": self.refresh_tokens,
        }
        self.store_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.store_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
        os.replace(temporary, self.store_path)

    # --- reads --------------------------------------------------------------------------------------

    def track(self, track_id: str) -> Obj:
        return self._get(self.tracks, track_id, "track")

    def artist(self, artist_id: str) -> Obj:
        return self._get(self.artists, artist_id, "artist")

    def album(self, album_id: str) -> Obj:
        return self._get(self.albums, album_id, "album")

    def _get(self, table: dict[str, Obj], object_id: str, kind: str) -> Obj:
        if len(object_id) != 22 or any(c not in _BASE62 for c in object_id):
            raise StoreError(400, "Invalid base62 id")
        if object_id not in table:
            raise StoreError(404, "Resource not found")
        return table[object_id]

    def artist_albums(self, artist_id: str, groups: set[str]) -> list[tuple[Obj, str]]:
        """(album, album_group) pairs: their own albums first, then those they appear on."""
        self.artist(artist_id)
        own, appears = [], []
        for album_id, track_ids in self.album_tracks.items():
            album = self.albums[album_id]
            if artist_id in album["artist_ids"]:
                own.append((album, self.album_type(album)))
            elif any(artist_id in self.tracks[t]["artist_ids"] for t in track_ids):
                appears.append((album, "appears_on"))
        pairs = sorted(own, key=lambda p: p[0]["release_date"], reverse=True) + appears
        return [(album, group) for album, group in pairs if group in groups]

    def album_type(self, album: Obj) -> str:
        """We do not know it; a one-track album named like its track is taken for a single."""
        track_ids = self.album_tracks.get(album["id"], [])
        return (
            "single"
            if len(track_ids) == 1 and self.tracks[track_ids[0]]["name"] == album["name"]
            else "album"
        )

    def search_tracks(self, free: list[str], fields: dict[str, str]) -> list[Obj]:
        matches = []
        for track_id, (name, artists, album) in self._search_text.items():
            combined = f"{name} {artists} {album}"
            if not all(word in combined for word in free):
                continue
            if "track" in fields and fields["track"] not in name:
                continue
            if "artist" in fields and fields["artist"] not in artists:
                continue
            if "album" in fields and fields["album"] not in album:
                continue
            track = self.tracks[track_id]
            if "year" in fields and not self._year_matches(track, fields["year"]):
                continue
            if "isrc" in fields and fields["isrc"] != normalize(isrc_for(track_id)):
                continue
            exact = name == " ".join(free) or name == fields.get("track")
            matches.append((not exact, -(track["popularity"] or 0), name, track))
        return [m[-1] for m in sorted(matches, key=lambda m: m[:3])]

    def _year_matches(self, track: Obj, years: str) -> bool:
        released = self.albums[track["album_id"]]["release_date"][:4] if track["album_id"] else ""
        first, _, last = years.partition("-")
        return released.isdigit() and first <= released <= (last or first)

    def search_artists(self, free: list[str], fields: dict[str, str]) -> list[Obj]:
        wanted = [*free, fields["artist"]] if "artist" in fields else free
        found = [a for a in self.artists.values() if all(w in normalize(a["name"]) for w in wanted)]
        return sorted(found, key=lambda a: (-self._artist_popularity[a["id"]], a["name"]))

    # --- playlists --------------------------------------------------------------------------------

    def playlist(self, playlist_id: str) -> Obj:
        if playlist_id not in self.playlists:
            raise StoreError(404, "Resource not found")
        return self.playlists[playlist_id]

    def owned_playlist(self, playlist_id: str, user_id: str) -> Obj:
        playlist = self.playlist(playlist_id)
        if playlist["owner"] != user_id:
            raise StoreError(403, "Forbidden")
        return playlist

    def user_playlists(self, user_id: str) -> list[Obj]:
        return [p for p in self.playlists.values() if p["owner"] == user_id]

    def playlist_create(
        self, user_id: str, name: str, description: str, public: bool, collaborative: bool
    ) -> Obj:
        with self._lock:
            playlist: Obj = {
                "id": new_id(),
                "name": name,
                "description": description,
                "owner": user_id,
                "public": public,
                "collaborative": collaborative,
                "version": 1,
                "items": [],
            }
            self.playlists[playlist["id"]] = playlist
            self._save()
            return playlist

    def playlist_add(self, playlist_id: str, user_id: str, uris: list[str], position: int | None) -> Obj:
        track_ids = self._track_ids_from_uris(uris)
        with self._lock:
            playlist = self.owned_playlist(playlist_id, user_id)
            items = playlist["items"]
            if position is None:
                position = len(items)
            if not 0 <= position <= len(items):
                raise StoreError(400, "Index out of bounds")
            added = [{"track_id": t, "added_at": iso_now(), "added_by": user_id} for t in track_ids]
            items[position:position] = added
            return self._changed(playlist)

    def playlist_unfollow(self, playlist_id: str, user_id: str) -> None:
        """The owner removing their playlist from their library: it is gone from their list (and,
        with no other followers here, gone)."""
        with self._lock:
            self.owned_playlist(playlist_id, user_id)
            del self.playlists[playlist_id]

    def playlist_remove(self, playlist_id: str, user_id: str, uris: list[str]) -> Obj:
        """Removes every occurrence of each track, as Spotify does when no positions are given."""
        track_ids = set(self._track_ids_from_uris(uris))
        with self._lock:
            playlist = self.owned_playlist(playlist_id, user_id)
            playlist["items"] = [i for i in playlist["items"] if i["track_id"] not in track_ids]
            return self._changed(playlist)

    def playlist_replace(self, playlist_id: str, user_id: str, uris: list[str]) -> Obj:
        track_ids = self._track_ids_from_uris(uris)
        with self._lock:
            playlist = self.owned_playlist(playlist_id, user_id)
            playlist["items"] = [
                {"track_id": t, "added_at": iso_now(), "added_by": user_id} for t in track_ids
            ]
            return self._changed(playlist)

    def _changed(self, playlist: Obj) -> Obj:
        playlist["version"] += 1
        self._save()
        return playlist

    def _track_ids_from_uris(self, uris: Iterable[str]) -> list[str]:
        track_ids = []
        for uri in uris:
            prefix, _, track_id = str(uri).rpartition(":")
            if prefix != "spotify:track":
                raise StoreError(400, f"Unsupported URL / URI: {uri}")
            self.track(track_id)
            track_ids.append(track_id)
        if len(track_ids) > 100:
            raise StoreError(400, "Too many ids requested")
        return track_ids

    # --- OAuth ------------------------------------------------------------------------------------

    def code_issue(
        self, user_id: str, client_id: str, redirect_uri: str, scope: str, challenge: str, method: str
    ) -> str:
        code = "AQ" + secrets.token_urlsafe(48)
        expires_at = time.time() + CODE_SECONDS
        self.codes[code] = AuthCode(user_id, client_id, redirect_uri, scope, challenge, method, expires_at)
        return code

    def code_exchange(self, code: str, client_id: str, redirect_uri: str, verifier: str) -> Obj:
        grant = self.codes.pop(code, None)
        if grant is None or grant.expires_at < time.time():
            raise GrantError("invalid_grant", "Invalid authorization code")
        if grant.redirect_uri != redirect_uri:
            raise GrantError("invalid_grant", "Invalid redirect URI")
        if client_id and grant.client_id != client_id:
            raise GrantError("invalid_client", "Invalid client")
        if grant.code_challenge and not _pkce_ok(grant.code_challenge, grant.code_challenge_method, verifier):
            raise GrantError("invalid_grant", "code_verifier was incorrect")
        refresh = "AQ" + secrets.token_urlsafe(96)
        with self._lock:
            self.refresh_tokens[refresh] = {
                "user_id": grant.user_id,
                "client_id": grant.client_id,
                "scope": grant.scope,
                "consented_at": time.time(),
            }
            response = self._access_issue(grant.user_id, grant.scope, grant.client_id)
            self._save()
        return {**response, "refresh_token": refresh}

    def refresh(self, refresh_token: str, client_id: str) -> Obj:
        grant = self.refresh_tokens.get(refresh_token)
        if grant is None:
            raise GrantError("invalid_grant", "Invalid refresh token")
        if grant.get("revoked") or time.time() - grant["consented_at"] > REFRESH_TOKEN_SECONDS:
            raise GrantError("invalid_grant", "Refresh token revoked")
        if client_id and grant["client_id"] != client_id:
            raise GrantError("invalid_client", "Invalid client")
        with self._lock:
            # Refresh tokens are single-use, as Spotify's are for PKCE clients: the answer carries a
            # new one and the old one is spent, so two clients refreshing at once lose one of them.
            if self.refresh_tokens.pop(refresh_token, None) is None:
                raise GrantError("invalid_grant", "Invalid refresh token")
            rotated = "AQ" + secrets.token_urlsafe(96)
            self.refresh_tokens[rotated] = grant
            response = self._access_issue(grant["user_id"], grant["scope"], grant["client_id"])
            self._save()
        return {**response, "refresh_token": rotated}

    def client_credentials(self, client_id: str, secret: str) -> Obj:
        """A token of the app's own, for the catalog only: no listener, no scope, no refresh token."""
        if client_id not in self.apps:
            raise GrantError("invalid_client", "Invalid client")
        if not secret or not secrets.compare_digest(self.apps[client_id], secret):
            raise GrantError("invalid_client", "Invalid client secret")
        with self._lock:
            response = self._access_issue(None, "", client_id)
            self._save()
        del response["scope"]
        return response

    def _access_issue(self, user_id: str | None, scope: str, client_id: str) -> Obj:
        token = "BQ" + secrets.token_urlsafe(96)
        self.access_tokens[token] = {
            "user_id": user_id,
            "client_id": client_id,
            "expires_at": time.time() + ACCESS_TOKEN_SECONDS,
        }
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": ACCESS_TOKEN_SECONDS,
        }

    def refresh_revoke(self, user_id: str) -> int:
        """The listener removed the app (or consent lapsed): their refresh tokens stop working."""
        with self._lock:
            grants = [g for g in self.refresh_tokens.values() if g["user_id"] == user_id]
            for grant in grants:
                grant["revoked"] = True
            self._save()
        return len(grants)

    def access_expire(self, user_id: str | None) -> int:
        """Issued access tokens (one listener's, or all) expire now; ``demo-`` tokens never do."""
        with self._lock:
            grants = [g for g in self.access_tokens.values() if user_id is None or g["user_id"] == user_id]
            for grant in grants:
                grant["expires_at"] = min(grant["expires_at"], time.time() - 1)
        return len(grants)

    def app_for_token(self, token: str) -> str:
        """Whose rate limit a call counts against: the app (client id) that got the token; a
        ``demo-`` token counts as an app of its own."""
        grant = self.access_tokens.get(token)
        return f"client:{grant['client_id']}" if grant and grant.get("client_id") else f"token:{token}"

    def user_for_token(self, token: str) -> Obj:
        """The listener a bearer token stands for; ``demo-<user id>`` is a dev shortcut. An app's
        own token stands for nobody: 403, as Spotify refuses it on a listener's endpoints."""
        if token.startswith("demo-") and token[5:] in self.users:
            return self.users[token[5:]]
        grant = self._live_grant(token)
        if grant["user_id"] is None:
            raise StoreError(403, "Insufficient client scope")
        if grant["user_id"] not in self.users:
            raise StoreError(401, "Invalid access token")
        return self.users[grant["user_id"]]

    def is_app_token(self, token: str) -> bool:
        """Whether this is a token an app got for itself (client credentials); StoreError 401 when
        it is one that expired."""
        grant = self.access_tokens.get(token)
        if grant is None or grant["user_id"] is not None:
            return False
        self._live_grant(token)
        return True

    def _live_grant(self, token: str) -> Obj:
        grant = self.access_tokens.get(token)
        if grant is None:
            raise StoreError(401, "Invalid access token")
        if grant["expires_at"] < time.time():
            raise StoreError(401, "The access token expired")
        return grant


def _pkce_ok(challenge: str, method: str, verifier: str) -> bool:
    if method.upper() == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
    return verifier == challenge


def isrc_for(track_id: str) -> str:
    """A made-up but well-formed ISRC ("ZZ" country: not a real registrant) per track."""
    number = int.from_bytes(hashlib.sha256(track_id.encode()).digest()[:8], "big")
    return f"ZZEMU{number % 100:02d}{number // 100 % 100000:05d}"
