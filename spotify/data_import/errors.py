"""What can be wrong with an upload, worded for the listener who sent it."""

from __future__ import annotations

NOT_A_DOWNLOAD = "That file isn't a Spotify data download"


class DownloadError(Exception):
    """The upload as a whole cannot be imported (not a ZIP or JSON, an unsafe ZIP, no Spotify files).

    ``str(exc)`` is the sentence shown on the Library page.
    """


class DocumentError(DownloadError):
    """One file of the download is broken or not what its name says; the others can still be read."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{NOT_A_DOWNLOAD}: {name} {problem}")
        self.name = name
        self.problem = problem
