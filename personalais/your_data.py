"""Take it with you, or leave: everything we hold about a listener as one JSON archive, and deletion.

The archive is written as text fragments from generators reading with ``.iterator()``, so a
listener with a million imported plays is streamed, never built as one string. It never holds a
secret: Spotify tokens, confirmation keys and session data stay out (``NOT_EXPORTED`` says why).

Every model that can reach the user through foreign keys must be named in ``EXPORTED`` or in
``NOT_EXPORTED`` (``models_not_accounted_for``, checked by the tests), so a new table of
listener data cannot be left out of the archive without someone deciding so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Artist, Playlist, PlaylistItem, Track, TrackArtist
from chat.models import Conversation, Message, MoodReading
from recommender.models import Candidate, Feedback, ListenerSettings, ServedItem, ServedList, TastePreference
from spotify.data_import.services import uploads_forget
from spotify.models import (
    FollowedArtist,
    LibrarySync,
    Play,
    PlaylistWrite,
    PlaySource,
    SpotifyLink,
    TopArtist,
    TopTrack,
)

# Models holding listener data, by the archive section that carries them.
EXPORTED: dict[str, str] = {
    "accounts.User": "profile",
    "account.EmailAddress": "profile.email_addresses",
    "socialaccount.SocialAccount": "profile.linked_accounts",
    "spotify.SpotifyLink": "profile.spotify (never its tokens)",
    "recommender.ListenerSettings": "listener_settings",
    "recommender.TastePreference": "tastes",
    "recommender.Feedback": "feedback",
    "chat.Conversation": "conversations",
    "chat.Message": "conversations[].messages",
    "chat.MoodReading": "conversations[].messages[].mood",
    "recommender.ServedList": "served_lists",
    "recommender.ServedItem": "served_lists[].items",
    "recommender.Candidate": "candidates",
    "spotify.PlaylistWrite": "playlist_writes",
    "catalog.Playlist": "playlists",
    "catalog.PlaylistItem": "playlists[].tracks",
    "spotify.Play": "plays",
    "spotify.TopTrack": "top_tracks",
    "spotify.TopArtist": "top_artists",
    "spotify.FollowedArtist": "followed_artists",
    "spotify.LibrarySync": "library_sync",
    "spotify.DataImport": "data_imports",
    "spotify.ImportedFile": "imported_files",
    "spotify.ImportedTrack": "imported_tracks",
    "spotify.ImportedArtist": "imported_artists",
}

# Models that reach the user but are deliberately left out of the archive, with the reason.
NOT_EXPORTED: dict[str, str] = {
    "sessions.Session": "login sessions: secrets that log a browser in (deleted with the account)",
    "account.EmailConfirmation": "one-time email confirmation keys: secrets, and expired within days",
    "socialaccount.SocialToken": "OAuth tokens: never exported (and not stored: SOCIALACCOUNT_STORE_TOKENS)",
    "admin.LogEntry": "the admin's audit trail of staff actions, not listener data",
    "recommender.RankingWeights": "site tuning an admin saved; only its author's id, cleared when they leave",
    "accounts.User_groups": "staff permission groups; listeners have none",
    "accounts.User_user_permissions": "staff permissions; listeners have none",
}

# Models another change may add; the export reads them only when they exist, with the fields left out.
OPTIONAL_MODELS: dict[str, tuple[str, ...]] = {
    # ``uploads`` names stored files waiting to be read (server paths); ``claimed_by`` a task id.
    "spotify.DataImport": ("uploads", "claimed_by"),
    "spotify.ImportedFile": (),
    "spotify.ImportedTrack": (),
    "spotify.ImportedArtist": (),
}

CHUNK_ROWS = 2000
FRAGMENT_CHARS = 64 * 1024
MAX_PATH_DEPTH = 4

_dumps = partial(json.dumps, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


# --- Which models hold listener data -------------------------------------------------------------


@dataclass(frozen=True)
class UserPath:
    """A chain of foreign keys from a model to the user: ``lookup`` filters by the user's pk."""

    lookup: str
    cascades: bool  # every link deletes with its target (else some link is set null instead)


def user_paths(model: type[models.Model], *, depth: int = MAX_PATH_DEPTH) -> list[UserPath]:
    """Every foreign-key chain from ``model`` to the user model, e.g. ``message__conversation__user``."""
    user_model = get_user_model()
    paths: list[UserPath] = []

    def walk(current: type[models.Model], prefix: str, cascades: bool, seen: frozenset[type]) -> None:
        for field in current._meta.concrete_fields:
            target = field.related_model
            if not field.is_relation or not isinstance(target, type) or target in seen:
                continue
            lookup = f"{prefix}{field.name}"
            cascade = cascades and getattr(field.remote_field, "on_delete", None) is models.CASCADE
            if target is user_model:
                paths.append(UserPath(lookup, cascade))
            elif len(seen) < depth:
                walk(target, f"{lookup}__", cascade, seen | {target})

    if model is not user_model:
        walk(model, "", True, frozenset({model}))
    return paths


def models_holding_user_data(
    candidates: Iterable[type[models.Model]] | None = None,
) -> list[type[models.Model]]:
    """The models with a foreign-key chain to the user (the installed ones, auto-created included)."""
    found = apps.get_models(include_auto_created=True) if candidates is None else candidates
    return [model for model in found if user_paths(model)]


def models_not_accounted_for(candidates: Iterable[type[models.Model]] | None = None) -> list[str]:
    """Labels of models that reach the user yet are neither exported nor excused: a forgotten table."""
    named = EXPORTED.keys() | NOT_EXPORTED.keys()
    return sorted(
        model._meta.label for model in models_holding_user_data(candidates) if model._meta.label not in named
    )


def _optional_model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


# --- What the "Your data" page shows -------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    name: str
    amount: str
    about: str


def your_data_held(*, user: User) -> list[Held]:
    """What we hold about the listener, counted, in the words the page uses."""
    plays = Play.objects.filter(user=user)
    counted: list[tuple[str, models.QuerySet, str]] = [
        ("Messages", Message.objects.filter(conversation__user=user), "what you and the assistant said"),
        (
            "Mood readings",
            MoodReading.objects.filter(message__conversation__user=user),
            "the mood read from each of your messages, and your corrections",
        ),
        ("Tastes", TastePreference.objects.filter(user=user), "what you asked for more or less of"),
        ("Votes and feedback", Feedback.objects.filter(user=user), "♥, ✕, skips and saves"),
        ("Recommended lists", ServedList.objects.filter(user=user), "each list we served, and why"),
        ("Plays synced from Spotify", plays.filter(source=PlaySource.SPOTIFY), "your recently played tracks"),
        ("Plays imported", plays.filter(source=PlaySource.IMPORT), "from data downloads you uploaded"),
        ("Top tracks", TopTrack.objects.filter(user=user), "as Spotify ranks them"),
        ("Top artists", TopArtist.objects.filter(user=user), "as Spotify ranks them"),
        ("Followed artists", FollowedArtist.objects.filter(user=user), "from your Spotify"),
        ("Your playlists", Playlist.objects.filter(owner=user), "mirrored from your Spotify"),
        ("Playlist changes", PlaylistWrite.objects.filter(user=user), "what we saved to your playlists"),
    ]
    uploads = _optional_model("spotify.DataImport")
    if uploads is not None:
        counted.append(
            ("Data downloads uploaded", uploads._default_manager.filter(user=user), "what we read in them")
        )
    held = [Held(name, f"{rows.count():,}", about) for name, rows, about in counted]
    linked = SpotifyLink.objects.filter(user=user).exists()
    about = "your Spotify user id, the permissions granted, and tokens kept encrypted"
    held.append(Held("Spotify", "connected" if linked else "not connected", about if linked else ""))
    return held


# --- Export ----------------------------------------------------------------------------------------


def export_chunks(*, user: User) -> Iterator[str]:
    """The listener's archive as JSON text, in fragments of about ``FRAGMENT_CHARS``.

    Reads run while the fragments are consumed: iterate it where the database may be used.
    """
    buffer: list[str] = []
    size = 0
    for piece in _archive(user):
        buffer.append(piece)
        size += len(piece)
        if size >= FRAGMENT_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def export_filename() -> str:
    return f"personalais-{timezone.localdate().isoformat()}.json"


def _archive(user: User) -> Iterator[str]:
    yield "{" + _dumps("exported_at") + ":" + _dumps(timezone.now())
    yield from _entry("profile", _profile(user))
    yield from _entry("listener_settings", _one(ListenerSettings, user=user))
    yield from _entry("tastes", _tastes(user))
    yield from _entry("feedback", _feedback(user))
    yield "," + _dumps("conversations") + ":"
    yield from _conversations(user)
    yield from _entry("served_lists", _served_lists(user))
    yield from _entry("candidates", _candidates(user))
    yield from _entry("playlist_writes", _playlist_writes(user))
    yield "," + _dumps("playlists") + ":"
    yield from _playlists(user)
    yield from _entry("plays", _plays(user))
    yield from _entry("top_tracks", _top_tracks(user))
    top_artists = TopArtist.objects.filter(user=user).order_by("time_range", "rank")
    yield from _entry("top_artists", _artists(top_artists, "time_range", "rank"))
    yield from _entry("followed_artists", _artists(FollowedArtist.objects.filter(user=user).order_by("id")))
    yield from _entry("library_sync", _one(LibrarySync, user=user))
    for label in OPTIONAL_MODELS:
        yield from _entry(EXPORTED[label], _optional_rows(label, user))
    yield "}"


def _entry(key: str, value: object) -> Iterator[str]:
    """``,"key":value``; a generator value becomes a JSON array written row by row."""
    yield "," + _dumps(key) + ":"
    if isinstance(value, Iterator):
        yield from _array(value)
    else:
        yield _dumps(value)


def _array(rows: Iterator[object]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + _dumps(row)
    yield "]"


def _object_open(row: Mapping[str, Any]) -> str:
    """A non-empty ``row`` as JSON without its closing brace, so a streamed member can follow."""
    return _dumps(row)[:-1]


def _batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _plain_fields(model: type[models.Model], *, skip: Iterable[str] = ()) -> list[str]:
    """Concrete fields worth exporting as they are: no id, no user link, no stored files."""
    left_out = {"id", *skip}
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in left_out
        and not isinstance(field, models.FileField)
        and field.related_model is not get_user_model()
    ]


def _one(model: type[models.Model], **where: object) -> dict[str, Any] | None:
    return model._default_manager.filter(**where).values(*_plain_fields(model)).first()


def _profile(user: User) -> dict[str, Any]:
    # Named columns only: the encrypted token columns are never read, let alone written out.
    link = (
        SpotifyLink.objects.filter(user=user)
        .values("spotify_user_id", "scope", "status", "connected_at")
        .first()
    )
    return {
        "email": user.email,
        "display_name": user.display_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).order_by("id").values("email", "verified", "primary")
        ),
        "linked_accounts": list(
            SocialAccount.objects.filter(user=user)
            .order_by("id")
            .values("provider", "uid", "date_joined", "last_login", "extra_data")
        ),
        "spotify": {
            "linked": link is not None,
            "spotify_user_id": link["spotify_user_id"] if link else None,
            "scope": link["scope"] if link else None,
            "status": link["status"] if link else None,
            "connected_at": link["connected_at"] if link else None,
        },
    }


def _tracks_by_id(track_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Tracks as the archive names them (Spotify id, name, artists in credit order), two queries."""
    ids = set(track_ids)
    found = Track.objects.filter(id__in=ids).values_list("id", "spotify_id", "name")
    tracks: dict[int, dict[str, Any]] = {
        track_id: {"spotify_id": spotify_id, "name": name, "artists": []}
        for track_id, spotify_id, name in found
    }
    links = TrackArtist.objects.filter(track_id__in=ids).order_by("track_id", "position")
    for track_id, artist in links.values_list("track_id", "artist__name"):
        tracks[track_id]["artists"].append(artist)
    return tracks


def _with_tracks(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Rows whose ``track_id`` becomes the named ``track``, resolved a chunk at a time."""
    for batch in _batched(rows, CHUNK_ROWS):
        tracks = _tracks_by_id(row["track_id"] for row in batch)
        for row in batch:
            row["track"] = tracks.get(row.pop("track_id"))
            yield row


def _tastes(user: User) -> Iterator[Any]:
    rows = TastePreference.objects.filter(user=user).order_by("created_at", "id")
    return rows.values("kind", "value", "label", "liked", "source", "created_at").iterator(CHUNK_ROWS)


def _feedback(user: User) -> Iterator[dict[str, Any]]:
    rows = Feedback.objects.filter(user=user).order_by("created_at", "id")
    values = rows.values("kind", "created_at", "track_id", "item__served_id", "item__position")
    for row in _with_tracks(values.iterator(CHUNK_ROWS)):
        row["served_list_id"] = row.pop("item__served_id")
        row["position_in_list"] = row.pop("item__position")
        yield row


def _conversations(user: User) -> Iterator[str]:
    """Conversations, each with its messages streamed in chunks (one conversation can be long)."""
    conversations = Conversation.objects.filter(user=user).order_by("created_at", "id")
    rows = conversations.values("id", "created_at", "updated_at").iterator(CHUNK_ROWS)
    return _each_with_streamed(rows, "messages", lambda conversation: _messages(conversation["id"]))


def _each_with_streamed(
    parents: Iterator[Mapping[str, Any]], member: str, children: Callable[[Mapping[str, Any]], Iterator[Any]]
) -> Iterator[str]:
    """A JSON array of ``parents``, each given ``member``: its ``children`` written row by row."""
    yield "["
    for index, parent in enumerate(parents):
        yield ("," if index else "") + _object_open(parent) + "," + _dumps(member) + ":"
        yield from _array(children(parent))
        yield "}"
    yield "]"


MOOD_COLUMNS = ("label", "valence", "arousal", "confidence", "perceived_label", "corrected_at")


def _messages(conversation_id: int) -> Iterator[dict[str, Any]]:
    rows = Message.objects.filter(conversation_id=conversation_id).order_by("created_at", "id")
    columns = ("id", "role", "text", "created_at", "tracks", "meta")
    for row in rows.values(*columns, *(f"mood__{name}" for name in MOOD_COLUMNS)).iterator(CHUNK_ROWS):
        mood = {name: row.pop(f"mood__{name}") for name in MOOD_COLUMNS}
        if mood["label"] is None:
            row["mood"] = None
        else:
            mood["corrected"] = mood["corrected_at"] is not None
            row["mood"] = mood
        row["track_cards"] = row.pop("tracks")
        yield row


def _served_lists(user: User) -> Iterator[dict[str, Any]]:
    """Served lists with their items; lists are short, so items are read for 200 lists at a time."""
    served = ServedList.objects.filter(user=user).order_by("created_at", "id")
    for batch in _batched(served.values("id", *_plain_fields(ServedList)).iterator(CHUNK_ROWS), 200):
        items: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in batch}
        rows = ServedItem.objects.filter(served_id__in=items).order_by("served_id", "position")
        columns = ("served_id", "position", "track_id", "score", "parts", "sources", "explanation")
        for item in _with_tracks(rows.values(*columns).iterator(CHUNK_ROWS)):
            items[item.pop("served_id")].append(item)
        for row in batch:
            row["items"] = items[row["id"]]
            yield row


def _candidates(user: User) -> Iterator[dict[str, Any]]:
    rows = Candidate.objects.filter(user=user).order_by("-weight", "id")
    return _with_tracks(
        rows.values("track_id", "sources", "weight", "reason", "fetched_at").iterator(CHUNK_ROWS)
    )


def _playlist_writes(user: User) -> Iterator[dict[str, Any]]:
    rows = PlaylistWrite.objects.filter(user=user).order_by("created_at", "id")
    fields = _plain_fields(PlaylistWrite, skip=("playlist",))
    return rows.values(*fields, playlist_spotify_id=models.F("playlist__spotify_id")).iterator(CHUNK_ROWS)


def _playlists(user: User) -> Iterator[str]:
    """The listener's own playlists (mirrored from Spotify), each with its tracks streamed."""
    playlists = Playlist.objects.filter(owner=user).order_by("name", "id")
    rows = playlists.values("id", "spotify_id", "name", "description").iterator(CHUNK_ROWS)
    return _each_with_streamed(rows, "tracks", lambda playlist: _playlist_tracks(playlist["id"]))


def _playlist_tracks(playlist_id: int) -> Iterator[dict[str, Any]]:
    items = PlaylistItem.objects.filter(playlist_id=playlist_id).order_by("position")
    return _with_tracks(items.values("position", "track_id").iterator(CHUNK_ROWS))


def _plays(user: User) -> Iterator[dict[str, Any]]:
    rows = Play.objects.filter(user=user).order_by("played_at", "id")
    return _with_tracks(
        rows.values("played_at", "source", "ms_played", "skipped", "track_id").iterator(CHUNK_ROWS)
    )


def _top_tracks(user: User) -> Iterator[dict[str, Any]]:
    rows = TopTrack.objects.filter(user=user).order_by("time_range", "rank")
    return _with_tracks(rows.values("time_range", "rank", "track_id").iterator(CHUNK_ROWS))


def _artists(rows: models.QuerySet, *columns: str) -> Iterator[dict[str, Any]]:
    for row in rows.values(*columns, "artist__spotify_id", "artist__name").iterator(CHUNK_ROWS):
        row["artist"] = {"spotify_id": row.pop("artist__spotify_id"), "name": row.pop("artist__name")}
        yield row


def _optional_rows(label: str, user: User) -> Iterator[dict[str, Any]]:
    """The listener's rows of a model that may not exist yet: every field but files and the
    left-out ones, with a ``track`` and any artist named as elsewhere in the archive."""
    model = _optional_model(label)
    links = [path.lookup for path in user_paths(model) if "__" not in path.lookup] if model else []
    if model is None or not links:
        return iter(())
    columns = _plain_fields(model, skip=OPTIONAL_MODELS[label])
    artists = [
        field.name
        for field in model._meta.concrete_fields
        if field.attname in columns and field.related_model is Artist
    ]
    for name in artists:
        columns.remove(f"{name}_id")
        columns += [f"{name}__spotify_id", f"{name}__name"]
    rows = model._default_manager.filter(**{links[0]: user}).order_by("pk").values(*columns)

    def named(row: dict[str, Any]) -> dict[str, Any]:
        for name in artists:
            row[name] = {"spotify_id": row.pop(f"{name}__spotify_id"), "name": row.pop(f"{name}__name")}
        return row

    named_rows = map(named, rows.iterator(CHUNK_ROWS))
    return _with_tracks(named_rows) if "track_id" in columns else named_rows


# --- Deletion ------------------------------------------------------------------------------------


def account_delete(*, user: User) -> None:
    """Delete the listener with everything of theirs, and end every session that logs them in.

    Their rows go by the models' CASCADE links (the encrypted Spotify tokens with ``SpotifyLink``);
    rows that only name them as an admin author (``RankingWeights``) stay, with that link cleared.
    Spotify itself is not told: its Web API cannot revoke a grant, so the listener removes the
    app on Spotify's side themselves; their Spotify account and its playlists stay there.
    """
    user_id = str(user.pk)
    uploads_forget(user=user)  # downloads still waiting for the worker: files, not rows
    with transaction.atomic():
        session_keys = _session_keys_of(user_id)
        user.delete()
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in session_keys:
            store(session_key=key).delete()


def _session_keys_of(user_id: str) -> list[str]:
    """The keys of stored sessions that log in ``user_id``: sessions only say so in their data."""
    return [
        session.session_key
        for session in Session.objects.order_by().iterator(CHUNK_ROWS)
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
