"""An upload opened safely: what kind of file it is, and the Spotify files in it.

A ZIP is never extracted to disk: its members are read as streams. Still, a ZIP that names a
file outside its folder, is password-protected, holds absurdly many files or would unpack to
absurd sizes (a zip bomb) is refused whole, before anything in it is read.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings

from .errors import NOT_A_DOWNLOAD, DownloadError
from .formats import KIND_ORDER, Kind, kind_from_content, kind_from_name

HEAD_BYTES = 64 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # JSON packs 5-20x; a member packed more than this is a bomb, not a history
RATIO_FROM_BYTES = 16 * 1024 * 1024  # small members may pack well without harm
DEFAULT_MAX_UNPACKED = 8 * 1024**3
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "SPOTIFY_IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED))


def upload_kind(head: bytes) -> str:
    """ "zip" or "json" by the first bytes of an upload; DownloadError for anything else."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"[", b"{"):
        return "json"
    if not text:
        raise DownloadError(f"{NOT_A_DOWNLOAD}: the file is empty.")
    raise DownloadError(f"{NOT_A_DOWNLOAD}: it is neither a ZIP nor a JSON file.")


@dataclass(frozen=True)
class Document:
    """One Spotify JSON file of an upload: a loose JSON file or a member of a ZIP."""

    name: str  # its base name, as the listener knows it
    kind: Kind
    size: int
    open: Callable[[], IO[bytes]]


@contextlib.contextmanager
def documents_in(path: Path, name: str) -> Iterator[list[Document]]:
    """The Spotify files of the upload stored at ``path`` (sent as ``name``), in reading order.

    Raises DownloadError when the upload is not a ZIP or JSON, is an unsafe ZIP, or holds no
    Spotify file. ZIP members are readable while the context is open.
    """
    with open(path, "rb") as probe:
        kind = upload_kind(probe.read(HEAD_BYTES))
    if kind == "json":
        yield [_loose_document(path, name)]
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"{NOT_A_DOWNLOAD}: the ZIP is damaged ({exc}).") from exc
    with archive:
        yield _zip_documents(archive, name)


def _loose_document(path: Path, name: str) -> Document:
    with open(path, "rb") as stream:
        head = stream.read(HEAD_BYTES)
    kind = kind_from_name(name) or kind_from_content(head)
    if kind is None:
        raise DownloadError(
            f"{NOT_A_DOWNLOAD}: {name} is none of the files Spotify puts in one "
            "(StreamingHistory…, Streaming_History_Audio…, endsong…, YourLibrary.json, Playlist1.json)."
        )
    return Document(PurePosixPath(name).name, kind, path.stat().st_size, lambda: open(path, "rb"))


def _zip_documents(archive: zipfile.ZipFile, name: str) -> list[Document]:
    members = archive.infolist()
    _refuse_unsafe(members)
    documents = []
    for info in members:
        base = PurePosixPath(info.filename).name
        if info.is_dir() or info.filename.startswith("__MACOSX/") or base.startswith("."):
            continue
        kind = kind_from_name(base)
        if kind is not None:
            documents.append(Document(base, kind, info.file_size, _member_opener(archive, info)))
    if not documents:
        raise DownloadError(
            f"{NOT_A_DOWNLOAD}: {name} holds none of the files Spotify puts in one "
            "(StreamingHistory…, Streaming_History_Audio…, YourLibrary.json, Playlist1.json)."
        )
    return sorted(documents, key=lambda doc: (KIND_ORDER.index(doc.kind), _natural(doc.name)))


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


def _refuse_unsafe(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise DownloadError(
            f"{NOT_A_DOWNLOAD}: the ZIP holds {len(members):,} files, far more than Spotify's."
        )
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in info.filename:
            raise DownloadError(
                f"{NOT_A_DOWNLOAD}: the ZIP names a file outside its folder "
                f"({info.filename!r}); we refuse it."
            )
        if info.flag_bits & 0x1:
            raise DownloadError(f"{NOT_A_DOWNLOAD}: the ZIP is password-protected.")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DownloadError(
                f"{NOT_A_DOWNLOAD}: {PurePosixPath(info.filename).name} would unpack to "
                f"{info.file_size / 1024**2:,.0f} MB from {info.compress_size / 1024**2:,.1f} MB; "
                "we refuse it."
            )
        total += info.file_size
    if total > max_unpacked_bytes():
        raise DownloadError(
            f"{NOT_A_DOWNLOAD}: the ZIP would unpack to {total / 1024**3:,.1f} GB, "
            f"more than the {max_unpacked_bytes() / 1024**3:,.0f} GB we read."
        )


def _natural(name: str) -> tuple:
    """ "x_2.json" before "x_10.json"."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))
