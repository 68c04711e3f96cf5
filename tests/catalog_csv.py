"""Rows in the Kaggle "Spotify Music Data" CSV schema, for tests that import catalogs."""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = [
    "energy",
    "tempo",
    "danceability",
    "playlist_genre",
    "loudness",
    "liveness",
    "valence",
    "track_artist",
    "time_signature",
    "speechiness",
    "track_popularity",
    "track_href",
    "uri",
    "track_album_name",
    "playlist_name",
    "analysis_url",
    "track_id",
    "track_name",
    "track_album_release_date",
    "instrumentalness",
    "track_album_id",
    "mode",
    "key",
    "duration_ms",
    "acousticness",
    "id",
    "playlist_subgenre",
    "type",
    "playlist_id",
]

HITS = "37i9dQZF1DXcBWIGoYBM5M"
RAP = "37i9dQZF1DX0XUsuxWHRQd"
SMILE = "2plbrEY59IikOBgBGLjaoe"
BIRDS = "6dOtVTDdiauQNBQEDOtlAB"
TYLER = "7BMO7O7ImjV8HNTH74Tshv"


def row(track_id: str, name: str, artists: str, playlist: str, genre: str, **extra: str) -> dict[str, str]:
    values = {column: "" for column in COLUMNS}
    values.update(
        track_id=track_id,
        id=track_id,
        track_name=name,
        track_artist=artists,
        track_album_id=f"{track_id[:-4]}ALBM",
        track_album_name=f"{name} (album)",
        track_album_release_date="2024-08-16",
        track_popularity="80",
        duration_ms="200000",
        energy="0.5",
        valence="0.4",
        danceability="0.6",
        tempo="120.5",
        loudness="-6.1",
        mode="1",
        key="5",
        playlist_id=playlist,
        playlist_name={HITS: "Today's Top Hits", RAP: "RapCaviar"}.get(playlist, f"Playlist {playlist[:4]}"),
        playlist_genre=genre,
        playlist_subgenre="mainstream",
    )
    values.update(extra)
    return values


def sample_rows() -> list[dict[str, str]]:
    """Three tracks over two playlists, a track listed three times, and two rows that cannot import."""
    return [
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", HITS, "pop"),
        row(BIRDS, "BIRDS OF A FEATHER", "Billie Eilish", HITS, "pop"),
        row(TYLER, "Sticky", "Tyler, The Creator, GloRilla, Sexyy Red", RAP, "hip-hop"),
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", RAP, "hip-hop"),
        row(SMILE, "Die With A Smile", "Lady Gaga, Bruno Mars", HITS, "pop"),  # listed twice
        row("", "No Id", "Nobody", HITS, "pop"),
        row("0000000000000000000bad", "Loud", "Somebody", HITS, "pop", energy="very"),
    ]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
