"""What can go wrong talking to Spotify, in our words: callers never see spotipy's or requests' errors.

Every error says whether it is ``permanent``: a permanent one fails the same way however often
it is retried (bad request, not found, not allowed), so a task gives up; anything else may
succeed later, and a task retries it (after ``retry_after`` seconds for a rate limit).
"""

from __future__ import annotations


class SpotifyError(Exception):
    """A Spotify call failed; ``status`` is the HTTP status when Spotify answered at all."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, permanent={self.permanent})"


class SpotifyNoAnswer(SpotifyError):
    """The request was sent but no answer came in time: it may or may not have happened.

    A write that ends like this is checked (``spotify.playlist_writes``) before anything is
    retried or reported, so a slow Spotify never leaves a duplicate or an orphan playlist.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class SpotifyRateLimited(SpotifyError):
    """429 over the app's rolling 30-second window: try again after ``retry_after`` seconds.

    Raised at once, however long the wait: the caller reschedules (Celery ``countdown``)
    rather than holding a worker asleep.
    """

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, status=429, permanent=False)
        self.retry_after = retry_after


class SpotifyAuthExpired(SpotifyError):
    """401: the access token expired or was revoked.

    Permanent for this token: the caller must refresh it (``spotify.tokens``) and, when the
    refresh token is dead too, send the listener to consent again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, status=401, permanent=True)


class SpotifyPermissionDenied(SpotifyError):
    """403: the token may not do this (missing scope, someone else's playlist, removed endpoint).

    ``not_allowlisted`` is the development-mode case: the listener is not among the app's
    allowed users in Spotify's dashboard, so every call fails until the app owner adds them.
    """

    def __init__(self, message: str, *, not_allowlisted: bool = False) -> None:
        super().__init__(message, status=403, permanent=True)
        self.not_allowlisted = not_allowlisted


class SpotifyNotFound(SpotifyError):
    """404: no such track, artist, album or playlist (or an endpoint Spotify removed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404, permanent=True)


class SpotifyNotConnected(SpotifyError):
    """The listener has not connected Spotify; offer the connect button."""

    def __init__(self) -> None:
        super().__init__("Connect your Spotify account first.", permanent=True)


def said_to_listener(exc: SpotifyError) -> str:
    """What went wrong, in the listener's words and with what to do: the one wording of Spotify
    failures, for the chat, the tools and the pages."""
    if isinstance(exc, SpotifyNotConnected):
        return "Connect Spotify on your Library page first, then I can save playlists for you."
    if isinstance(exc, SpotifyAuthExpired):
        return "Spotify needs you to reconnect (Library → Reconnect Spotify); nothing was changed."
    if isinstance(exc, SpotifyPermissionDenied):
        return "Spotify refused that for your account (the app may not have you on its allow-list)."
    if isinstance(exc, SpotifyRateLimited):
        return f"Spotify asked us to slow down; try again in about {max(1, exc.retry_after // 60)} min."
    if isinstance(exc, SpotifyNotFound):
        return "Spotify doesn't know one of those tracks."
    return "Spotify didn't answer properly just now; please check Spotify before trying again."
