"""Writes of a data import: the upload stored for the worker, then read and written as it goes.

Reading is streamed (one record at a time) and written in batches of ``BATCH`` (COPY), so memory
stays flat whatever the size of a history file. What is written:

- every play of a catalog track as a ``Play`` with ``source == import``, its ``ms_played`` and
  ``skipped`` (Spotify's flag, or shorter than 30 s);
- per catalog track (``ImportedTrack``): streams, skips, time played, saved, hidden, playlists;
- per catalog artist (``ImportedArtist``): followed, saved albums, hidden, and streams of their
  tracks the catalog lacks (matched by the artist's name).

Importing the same download again changes nothing: a file whose content hash was imported is
passed over (``ImportedFile``); plays are unique per listener and instant; library flags only
grow. Account data knows plays only to the minute (``formats.account_streams``): such a play is
not written when an imported play of the same track ends in that minute, and a play from the
extended history replaces the minute-precise one it duplicates.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from catalog.bulk import copy_upsert

from ..models import DataImport, ImportedArtist, ImportedFile, ImportedTrack, Play, PlaySource
from .archive import HEAD_BYTES, Document, documents_in, upload_kind
from .errors import NOT_A_DOWNLOAD, DocumentError, DownloadError
from .formats import (
    HISTORY_KINDS,
    KIND_ORDER,
    Kind,
    Section,
    Stream,
    library_items,
    playlist_entries,
    streams,
)
from .matching import CatalogMatcher
from .selectors import artist_names, data_import_busy, imported_taste

logger = logging.getLogger(__name__)

BATCH = 5_000  # records per write
PROGRESS_SECONDS = 0.5  # the page's counts are written at most this often
DEFAULT_MAX_UPLOAD = 500 * 1024**2
MAX_FILES = 50
EXAMPLES = 5  # unmatched tracks named in the summary
UNMATCHED_KEPT = 20_000  # distinct unmatched tracks counted for those examples


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, /) -> int: ...
    def chunks(self, chunk_size: int | None = None) -> Iterable[bytes]: ...


def max_upload_bytes() -> int:
    return int(getattr(settings, "SPOTIFY_IMPORT_MAX_BYTES", DEFAULT_MAX_UPLOAD))


def uploads_dir() -> Path:
    """Where uploads wait for the worker (on the same machine, or a volume both see)."""
    configured = getattr(settings, "SPOTIFY_IMPORT_DIR", "")
    path = Path(configured) if configured else Path(settings.BASE_DIR) / ".local" / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


# --- the upload --------------------------------------------------------------------------------


def data_import_start(*, user: User, files: Sequence[UploadedFileLike]) -> DataImport:
    """Store the uploaded files for the worker and queue their import (state QUEUED).

    Raises DownloadError, worded for the listener, when an import is already on its way, nothing
    was sent, the files are too many or too big, or one is neither a ZIP nor JSON. The caller
    enqueues ``spotify.tasks.import_spotify_data`` once this has committed.
    """
    _died_imports_close(user)
    if data_import_busy(user=user):
        raise DownloadError("An import is already on its way; this page shows it as it runs.")
    if not files:
        raise DownloadError("Choose the ZIP (or JSON files) of your Spotify data download first.")
    if len(files) > MAX_FILES:
        raise DownloadError(
            f"That is {len(files)} files; send the ZIP instead, or at most {MAX_FILES} files."
        )
    total = sum(upload.size or 0 for upload in files)
    if total > max_upload_bytes():
        raise DownloadError(
            f"That upload is {total / 1024**2:,.0f} MB; "
            f"the most we take is {max_upload_bytes() / 1024**2:,.0f} MB."
        )
    stored: list[dict[str, Any]] = []
    try:
        for upload in files:
            stored.append(_upload_store(upload))
    except DownloadError:
        _files_delete(stored)
        raise
    return DataImport.objects.create(user=user, uploads=stored, step="waiting for a worker")


def _died_imports_close(user: User) -> None:
    """Imports no worker will finish (it died, or none ever took them): their files go, and they
    say they failed, so the listener can upload again."""
    pending = DataImport.objects.filter(
        user=user, state__in=(DataImport.State.QUEUED, DataImport.State.RUNNING)
    )
    for data_import in pending:
        if data_import.died():
            _files_delete(data_import.uploads)
            DataImport.objects.filter(pk=data_import.pk).update(
                state=DataImport.State.FAILED,
                uploads=[],
                step="",
                error="The import stopped without finishing; please upload the file again.",
                finished_at=timezone.now(),
            )


def _upload_store(upload: UploadedFileLike) -> dict[str, Any]:
    name = Path(upload.name or "upload").name[:200]
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    try:
        kind = upload_kind(head)
    except DownloadError as exc:
        raise DownloadError(str(exc).replace(f"{NOT_A_DOWNLOAD}:", f"{NOT_A_DOWNLOAD} ({name}):", 1)) from exc
    target = uploads_dir() / f"{uuid.uuid4().hex}.{kind}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return {"name": name, "stored": target.name, "size": target.stat().st_size}


def uploads_forget(*, user: User) -> int:
    """Delete the stored files of the listener's imports still waiting (their account is going)."""
    waiting = list(DataImport.objects.filter(user=user).values_list("uploads", flat=True))
    uploads = [upload for files in waiting for upload in files or []]
    _files_delete(uploads)
    return len(uploads)


def _files_delete(uploads: Iterable[dict[str, Any]]) -> None:
    directory = uploads_dir()
    for upload in uploads:
        (directory / Path(upload["stored"]).name).unlink(missing_ok=True)


# --- the worker's part -------------------------------------------------------------------------


def data_import_run(*, import_id: int, claim_id: str = "") -> DataImport | None:
    """Read the import's files and write what they say; None when it is gone or already taken.

    A download the listener should hear about (not a Spotify download, an unsafe ZIP) ends the
    import FAILED with the reason; a broken file inside a download is named in ``error`` while
    the other files are still imported. The uploaded files are deleted however it ends, but for
    a worker killed mid-import: the same task, delivered again, takes over (``claim_id``).
    """
    data_import = DataImport.objects.filter(pk=import_id).select_related("user").first()
    if data_import is None or not _claim(data_import, claim_id):
        return None
    run = _Run(data_import)
    try:
        run.read_all()
    except DownloadError as exc:
        run.fail(str(exc))
    except Exception:
        run.fail("The import stopped unexpectedly; please upload the file again.")
        raise
    else:
        run.finish()
    finally:
        _files_delete(data_import.uploads)
        DataImport.objects.filter(pk=data_import.pk).update(uploads=[])
    return data_import


def _claim(data_import: DataImport, claim_id: str) -> bool:
    now = timezone.now()
    free = Q(state=DataImport.State.QUEUED) | Q(
        state=DataImport.State.RUNNING, started_at__lt=now - DataImport.DEAD_AFTER
    )
    if claim_id:
        free |= Q(state=DataImport.State.RUNNING, claimed_by=claim_id)  # our own delivery, whose worker died
    fields = {
        "state": DataImport.State.RUNNING,
        "step": "starting",
        "started_at": now,
        "claimed_by": claim_id,
    }
    fields |= {"files_total": 0, "files_done": 0, "rows": 0, "track_rows": 0, "matched": 0, "error": ""}
    claimed = DataImport.objects.filter(pk=data_import.pk).filter(free).update(**fields)
    for name, value in fields.items():
        setattr(data_import, name, value)
    return bool(claimed)


@dataclass
class _Tally:
    """What one import found, for its summary."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    plays_read: int = 0
    plays_added: int = 0
    replaced: int = 0  # minute-precise plays replaced by the same play to the second
    skips: int = 0
    not_music: int = 0
    unmatched: int = 0
    saved_tracks: int = 0
    followed_artists: int = 0
    saved_albums: int = 0
    playlists: int = 0
    first_play: datetime | None = None
    last_play: datetime | None = None
    unmatched_names: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


class _Run:
    """One import being read: its counts (written to the row as they grow) and its look-ups."""

    def __init__(self, data_import: DataImport) -> None:
        self.data_import = data_import
        self.user = data_import.user
        self.matcher = CatalogMatcher()
        self.tally = _Tally()
        # Extended history already imported: account data's unknown plays in its span are not new.
        self.spans: list[tuple[datetime, datetime]] = [
            (first, last)
            for first, last in ImportedFile.objects.filter(user=self.user, kind=Kind.EXTENDED).values_list(
                "first_at", "last_at"
            )
            if first is not None and last is not None
        ]
        self._flushed = 0.0
        self.coarse = _has_coarse_plays(user=self.user)  # minute-precise imported plays exist

    # progress -------------------------------------------------------------------------------

    def progress(self, *, step: str | None = None, force: bool = False, **more: int) -> None:
        for name, value in more.items():
            setattr(self.data_import, name, getattr(self.data_import, name) + value)
        if step is not None:
            self.data_import.step = step[:200]
        if force or step is not None or time.monotonic() - self._flushed >= PROGRESS_SECONDS:
            self._flushed = time.monotonic()
            fields = ("step", "files_total", "files_done", "rows", "track_rows", "matched")
            DataImport.objects.filter(pk=self.data_import.pk).update(
                **{name: getattr(self.data_import, name) for name in fields}
            )

    # the files ---------------------------------------------------------------------------------

    def read_all(self) -> None:
        directory = uploads_dir()
        with ExitStack() as stack:
            documents: list[Document] = []
            for upload in self.data_import.uploads:
                path = directory / Path(upload["stored"]).name
                if not path.exists():
                    raise DownloadError(
                        "The uploaded file is gone (the server was cleaned up); please upload it again."
                    )
                documents += stack.enter_context(documents_in(path, upload["name"]))
            documents.sort(key=lambda doc: KIND_ORDER.index(doc.kind))  # stable: each upload's order kept
            self.progress(files_total=len(documents), step=f"found {len(documents)} Spotify files")
            for document in documents:
                try:
                    self.document(document)
                except DocumentError as exc:
                    self.tally.problems.append(str(exc))
                    self.tally.documents.append(
                        {"name": document.name, "kind": document.kind, "state": "broken"}
                    )
                self.progress(files_done=1, force=True)
        if self.tally.problems and not any(doc["state"] != "broken" for doc in self.tally.documents):
            raise DownloadError(" ".join(self.tally.problems)[:600])

    def document(self, document: Document) -> None:
        self.progress(step=f"checking {document.name}")
        digest, head = _digest(document)
        done = ImportedFile.objects.filter(user=self.user, sha256=digest).first()
        if done is not None:
            again = done.data_import_id == self.data_import.pk  # read before this task was redelivered
            self.tally.documents.append(
                {
                    "name": document.name,
                    "kind": document.kind,
                    "rows": done.rows,
                    "state": "imported" if again else "already imported",
                }
            )
            return
        _expect_shape(document, head)
        self.progress(step=f"reading {document.name}")
        if document.kind in HISTORY_KINDS:
            rows, first, last, credits = self.history(document)
        elif document.kind == Kind.LIBRARY:
            rows, first, last, credits = self.library(document), None, None, {}
        else:
            rows, first, last, credits = self.playlists(document), None, None, {}
        with transaction.atomic():
            _artists_merge(self.user, other_plays=credits)
            ImportedFile.objects.create(
                user=self.user,
                sha256=digest,
                name=document.name[:200],
                kind=document.kind,
                rows=rows,
                first_at=first,
                last_at=last,
                data_import=self.data_import,
            )
        if document.kind == Kind.EXTENDED and first is not None and last is not None:
            self.spans.append((first, last))
        self.tally.documents.append(
            {"name": document.name, "kind": document.kind, "rows": rows, "state": "imported"}
        )

    # plays -------------------------------------------------------------------------------------

    def history(self, document: Document) -> tuple[int, datetime | None, datetime | None, dict[int, int]]:
        """Rows, first and last play, and streams credited to artists of tracks we lack."""
        rows, first, last = 0, None, None
        credits: Counter[int] = Counter()
        batch: list[Stream] = []
        with document.open() as stream_file:
            for stream in streams(stream_file, document.kind, document.name):
                rows += 1
                first = stream.ended_at if first is None or stream.ended_at < first else first
                last = stream.ended_at if last is None or stream.ended_at > last else last
                batch.append(stream)
                if len(batch) >= BATCH:
                    credits += self.streams_write(batch, exact=document.kind == Kind.EXTENDED)
                    batch = []
            credits += self.streams_write(batch, exact=document.kind == Kind.EXTENDED)
        return rows, first, last, dict(credits)

    def streams_write(self, batch: list[Stream], *, exact: bool) -> Counter[int]:
        music = [stream for stream in batch if stream.music]
        tally = self.tally
        tally.not_music += len(batch) - len(music)
        tally.plays_read += len(music)
        tally.skips += sum(stream.skipped for stream in music)
        pks = self.matcher.tracks([(s.track_id, s.title, s.artist) for s in music])
        matched = [(stream, pk) for stream, pk in zip(music, pks, strict=True) if pk is not None]
        if matched:
            times = [stream.ended_at for stream, _ in matched]
            tally.first_play = min([*times, tally.first_play] if tally.first_play else times)
            tally.last_play = max([*times, tally.last_play] if tally.last_play else times)
        unmatched = [stream for stream, pk in zip(music, pks, strict=True) if pk is None]
        credits = self.unmatched_credit(unmatched)
        tally.plays_added += self.plays_write(matched, exact=exact)
        self.progress(rows=len(batch), track_rows=len(music), matched=len(matched))
        return credits

    def unmatched_credit(self, unmatched: list[Stream]) -> Counter[int]:
        """Count tracks we lack, and credit their streams (not skips) to their artist if we know them."""
        self.tally.unmatched += len(unmatched)
        names = self.tally.unmatched_names
        for stream in unmatched:
            key = (stream.artist, stream.title)
            if key in names or len(names) < UNMATCHED_KEPT:
                names[key] += 1
        counted = [
            s for s in unmatched if not s.skipped and s.artist and (s.exact or not self.covered(s.ended_at))
        ]
        artists = self.matcher.artists([("", stream.artist) for stream in counted])
        return Counter(pk for pk in artists if pk is not None)

    def covered(self, moment: datetime) -> bool:
        return any(first <= moment <= last for first, last in self.spans)

    def plays_write(self, matched: list[tuple[Stream, int]], *, exact: bool) -> int:
        """Write the plays as imported; see the module's note on minute-precise plays."""
        if not matched:
            return 0
        if not exact:
            matched = self.minute_duplicates_drop(matched)
            self.coarse = self.coarse or bool(matched)
        elif self.coarse:
            self.minute_duplicates_replace(matched)
        rows = [
            (self.user.pk, pk, stream.ended_at, PlaySource.IMPORT.value, stream.ms_played, stream.skipped)
            for stream, pk in matched
        ]
        columns = ("user_id", "track_id", "played_at", "source", "ms_played", "skipped")
        return int(copy_upsert(Play, columns, rows, conflict=("user_id", "played_at")))

    def minute_duplicates_drop(self, matched: list[tuple[Stream, int]]) -> list[tuple[Stream, int]]:
        """Minute-precise plays less those of a track with an imported play ending in that minute."""
        nearby = _import_plays_near(self.user, [stream.ended_at for stream, _ in matched])
        taken = {(track_id, _minute(at)) for _, track_id, at in nearby}
        return [(stream, pk) for stream, pk in matched if (pk, _minute(stream.ended_at)) not in taken]

    def minute_duplicates_replace(self, matched: list[tuple[Stream, int]]) -> None:
        """Delete the minute-precise imported plays these plays (to the second) duplicate."""
        nearby = _import_plays_near(self.user, [stream.ended_at for stream, _ in matched])
        keys = {(pk, _minute(stream.ended_at)) for stream, pk in matched}
        coarse = [
            play_id for play_id, track_id, at in nearby if _coarse(at) and (track_id, _minute(at)) in keys
        ]
        if coarse:
            Play.objects.filter(pk__in=coarse, source=PlaySource.IMPORT).delete()
            self.tally.replaced += len(coarse)

    # library and playlists ---------------------------------------------------------------------

    def library(self, document: Document) -> int:
        rows = 0
        saved: set[int] = set()
        banned: set[int] = set()
        followed: set[int] = set()
        banned_artists: set[int] = set()
        albums: Counter[int] = Counter()
        with document.open() as library_file:
            for batch in _batched(library_items(library_file, document.name)):
                rows += len(batch)
                tracks = [
                    item for item in batch if item.section in (Section.SAVED_TRACK, Section.BANNED_TRACK)
                ]
                pks = self.matcher.tracks([(item.track_id, item.title, item.artist) for item in tracks])
                for item, pk in zip(tracks, pks, strict=True):
                    if pk is not None:
                        (saved if item.section == Section.SAVED_TRACK else banned).add(pk)
                    else:
                        self.tally.unmatched += 1
                others = [
                    item for item in batch if item.section not in (Section.SAVED_TRACK, Section.BANNED_TRACK)
                ]
                artists = self.matcher.artists([(item.artist_id, item.artist) for item in others])
                for item, pk in zip(others, artists, strict=True):
                    if pk is None:
                        continue
                    if item.section == Section.SAVED_ALBUM:
                        albums[pk] += 1
                    else:
                        (followed if item.section == Section.FOLLOWED_ARTIST else banned_artists).add(pk)
                matched = sum(pk is not None for pk in pks)
                self.progress(rows=len(batch), track_rows=len(tracks), matched=matched)
        _tracks_merge(self.user, saved=saved, banned=banned, playlists={})
        _artists_merge(self.user, followed=followed, banned=banned_artists, saved_albums=dict(albums))
        self.tally.saved_tracks += len(saved)
        self.tally.followed_artists += len(followed)
        self.tally.saved_albums += sum(albums.values())
        return rows

    def playlists(self, document: Document) -> int:
        rows = 0
        holding: dict[int, set[int]] = defaultdict(set)  # track pk → the playlists (of this file) holding it
        playlists = 0
        with document.open() as playlist_file:
            for batch in _batched(playlist_entries(playlist_file, document.name)):
                rows += len(batch)
                playlists = max(playlists, batch[-1].playlist)
                music = [entry for entry in batch if entry.music]
                self.tally.not_music += len(batch) - len(music)
                pks = self.matcher.tracks([(entry.track_id, entry.title, entry.artist) for entry in music])
                for entry, pk in zip(music, pks, strict=True):
                    if pk is not None:
                        holding[pk].add(entry.playlist)
                unmatched = sum(pk is None for pk in pks)
                self.tally.unmatched += unmatched
                self.progress(rows=len(batch), track_rows=len(music), matched=len(music) - unmatched)
        _tracks_merge(
            self.user, saved=set(), banned=set(), playlists={pk: len(lists) for pk, lists in holding.items()}
        )
        self.tally.playlists += playlists
        return rows

    # the end -----------------------------------------------------------------------------------

    def finish(self) -> None:
        self.progress(step="counting your plays", force=True)
        _tracks_recount(self.user)
        self.data_import.summary = self.summary()
        self.end(DataImport.State.DONE, error=" ".join(self.tally.problems))

    def fail(self, error: str) -> None:
        self.data_import.summary = self.summary()
        self.end(DataImport.State.FAILED, error=error)

    def end(self, state: str, *, error: str) -> None:
        self.data_import.state = state
        self.data_import.step = ""
        self.data_import.error = error[:600]
        self.data_import.finished_at = timezone.now()
        self.progress(force=True)
        DataImport.objects.filter(pk=self.data_import.pk).update(
            state=state,
            error=self.data_import.error,
            summary=self.data_import.summary,
            finished_at=self.data_import.finished_at,
        )

    def summary(self) -> dict[str, Any]:
        tally = self.tally
        taste = imported_taste(user=self.user, top=5)
        return {
            "documents": tally.documents,
            "plays_read": tally.plays_read,
            "plays_added": tally.plays_added,
            "plays_replaced": tally.replaced,
            "skips": tally.skips,
            "not_music": tally.not_music,
            "unmatched": tally.unmatched,
            "saved_tracks": tally.saved_tracks,
            "followed_artists": tally.followed_artists,
            "saved_albums": tally.saved_albums,
            "playlists": tally.playlists,
            "first_play": tally.first_play.isoformat() if tally.first_play else None,
            "last_play": tally.last_play.isoformat() if tally.last_play else None,
            "top_artists": artist_names(taste.top_artist_ids),
            "unmatched_examples": [
                f"{artist} – {title}" if artist else title
                for (artist, title), _ in tally.unmatched_names.most_common(EXAMPLES)
            ],
        }


# --- helpers -----------------------------------------------------------------------------------


def _digest(document: Document) -> tuple[str, bytes]:
    """The file's SHA-256 and its first bytes (one pass, read in 1 MB pieces)."""
    digest = hashlib.sha256()
    head = b""
    with document.open() as stream:
        while chunk := stream.read(1024 * 1024):
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            digest.update(chunk)
    return digest.hexdigest(), head


def _expect_shape(document: Document, head: bytes) -> None:
    """A history is a JSON list, the library and playlists a JSON object; say so before reading."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not start:
        raise DocumentError(document.name, "is empty.")
    wanted = b"[" if document.kind in HISTORY_KINDS else b"{"
    if start != wanted:
        what = "list of plays" if wanted == b"[" else "JSON object"
        raise DocumentError(document.name, f"is not the {what} Spotify writes there.")


def _batched(items: Iterable[Any], size: int = BATCH) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _coarse(moment: datetime) -> bool:
    """Whether a play's time is account data's minute plus a few milliseconds (``account_streams``)."""
    return moment.second == 0 and moment.microsecond != 0


def _has_coarse_plays(*, user: User) -> bool:
    table = connection.ops.quote_name(Play._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE user_id = %s AND source = %s "
            f"AND date_part('second', played_at) > 0 AND date_part('second', played_at) < 1)",
            [user.pk, PlaySource.IMPORT.value],
        )
        return bool(cursor.fetchone()[0])


def _import_plays_near(user: User, moments: Sequence[datetime]) -> list[tuple[int, int, datetime]]:
    """(id, track, played_at) of the listener's imported plays ending in the minutes of ``moments``:
    one index probe per minute, however the file is ordered."""
    minutes = sorted({_minute(moment) for moment in moments})
    table = connection.ops.quote_name(Play._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.track_id, p.played_at FROM unnest(%s::timestamptz[]) AS m(t) "
            f"JOIN {table} p ON p.user_id = %s "
            f"AND p.played_at >= m.t AND p.played_at < m.t + interval '1 minute' WHERE p.source = %s",
            [minutes, user.pk, PlaySource.IMPORT.value],
        )
        return list(cursor.fetchall())


def _tracks_merge(user: User, *, saved: set[int], banned: set[int], playlists: dict[int, int]) -> None:
    """Add library flags to the listener's imported tracks (flags only grow, playlists take the max)."""
    pks = saved | banned | set(playlists)
    if not pks:
        return
    current = {row.track_id: row for row in ImportedTrack.objects.filter(user=user, track_id__in=pks)}
    rows = []
    for pk in pks:
        old = current.get(pk) or ImportedTrack(user=user, track_id=pk)
        old.saved = old.saved or pk in saved
        old.banned = old.banned or pk in banned
        old.playlists = min(32767, max(old.playlists, playlists.get(pk, 0)))
        rows.append(old)
    ImportedTrack.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "track"],
        update_fields=["saved", "banned", "playlists"],
        batch_size=1000,
    )


def _artists_merge(
    user: User,
    *,
    followed: set[int] | None = None,
    banned: set[int] | None = None,
    saved_albums: dict[int, int] | None = None,
    other_plays: dict[int, int] | None = None,
) -> None:
    """Add to the listener's imported artists: flags grow, saved albums take the max, other plays add."""
    followed, banned = followed or set(), banned or set()
    saved_albums, other_plays = saved_albums or {}, other_plays or {}
    pks = followed | banned | set(saved_albums) | set(other_plays)
    if not pks:
        return
    current = {row.artist_id: row for row in ImportedArtist.objects.filter(user=user, artist_id__in=pks)}
    rows = []
    for pk in pks:
        old = current.get(pk) or ImportedArtist(user=user, artist_id=pk)
        old.followed = old.followed or pk in followed
        old.banned = old.banned or pk in banned
        old.saved_albums = min(32767, max(old.saved_albums, saved_albums.get(pk, 0)))
        old.other_plays += other_plays.get(pk, 0)
        rows.append(old)
    ImportedArtist.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "artist"],
        update_fields=["followed", "banned", "saved_albums", "other_plays"],
        batch_size=1000,
    )


def _tracks_recount(user: User) -> None:
    """Streams, skips and time played per track, recounted from the listener's imported plays."""
    imported, play = (connection.ops.quote_name(m._meta.db_table) for m in (ImportedTrack, Play))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {imported}
                (user_id, track_id, plays, skips, ms_played, last_played_at, saved, banned, playlists)
            SELECT %(user)s, track_id,
                   count(*) FILTER (WHERE skipped IS NOT TRUE), count(*) FILTER (WHERE skipped),
                   COALESCE(sum(ms_played), 0), max(played_at), false, false, 0
            FROM {play} WHERE user_id = %(user)s AND source = %(source)s GROUP BY track_id
            ON CONFLICT (user_id, track_id) DO UPDATE SET plays = EXCLUDED.plays, skips = EXCLUDED.skips,
                ms_played = EXCLUDED.ms_played, last_played_at = EXCLUDED.last_played_at
            """,
            {"user": user.pk, "source": PlaySource.IMPORT.value},
        )
