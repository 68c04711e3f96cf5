"""Synthetic Spotify data downloads, shaped exactly like Spotify's, for tests, the demo and benches.

Nobody's data: listening is drawn from a seeded random generator over the tracks it is given,
and every personal field Spotify writes (IP address, user agent, username, country) holds an
obviously fake value (documentation addresses, "ZZ"), so a test can check none is ever kept.

Build the demo files (``demo/spotify_download/``) from the demo catalog with::

    .venv/bin/python -m spotify.data_import.samples demo/spotify_download
"""

from __future__ import annotations

import io
import itertools
import json
import random
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from catalog.demo_files import catalog_file_read

FAKE_IP = "192.0.2.44"  # TEST-NET-1: never anyone's address
FAKE_USER_AGENT = "unknown-fake-agent/0.0 (sample)"
FAKE_USERNAME = "sample-listener-0000"
FAKE_COUNTRY = "ZZ"
PERSONAL_VALUES = (FAKE_IP, FAKE_USER_AGENT, FAKE_USERNAME, FAKE_COUNTRY)
ZIP_TIME = (2026, 11, 22, 12, 0, 0)  # fixed member times: the same input makes the same ZIP


@dataclass(frozen=True)
class SampleTrack:
    spotify_id: str
    title: str
    artist: str
    album: str = ""
    duration_ms: int = 200_000


def extended_history(
    tracks: Sequence[SampleTrack],
    *,
    plays: int,
    start: datetime,
    seed: int = 7,
    skip_share: float = 0.15,
    episode_every: int = 50,
) -> Iterator[dict[str, Any]]:
    """``plays`` records of an extended streaming history, oldest first, in sessions.

    Favourites (the first tracks given) are played most; about ``skip_share`` are skipped early;
    every ``episode_every``-th record is a podcast episode (track fields null).
    """
    rng = random.Random(seed)
    moment = start
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(tracks))))
    for number in range(plays):
        moment += timedelta(seconds=rng.randint(20, 240) if rng.random() > 0.02 else rng.randint(3600, 86400))
        if episode_every and number % episode_every == episode_every - 1:
            yield _extended_record(moment, rng.randint(60_000, 1_800_000), None, rng, skipped=False)
            continue
        track = rng.choices(tracks, cum_weights=cumulative)[0]
        skipped = rng.random() < skip_share
        played = (
            rng.randint(1_000, 25_000)
            if skipped
            else rng.randint(min(31_000, track.duration_ms), track.duration_ms)
        )
        yield _extended_record(moment, played, track, rng, skipped=skipped)


def _extended_record(
    ended: datetime, ms_played: int, track: SampleTrack | None, rng: random.Random, *, skipped: bool
) -> dict[str, Any]:
    episode = track is None
    title, artist, album, uri = (
        (None, None, None, None)
        if track is None
        else (track.title, track.artist, track.album, f"spotify:track:{track.spotify_id}")
    )
    return {
        "ts": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "username": FAKE_USERNAME,
        "platform": rng.choice(["android", "ios", "windows", "web_player"]),
        "ms_played": ms_played,
        "conn_country": FAKE_COUNTRY,
        "ip_addr": FAKE_IP,
        "user_agent_decrypted": FAKE_USER_AGENT,
        "master_metadata_track_name": title,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": uri,
        "episode_name": "Sample Show, episode 1" if episode else None,
        "episode_show_name": "Sample Show" if episode else None,
        "spotify_episode_uri": "spotify:episode:0000000000000000000000" if episode else None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "clickrow" if rng.random() < 0.3 else "trackdone",
        "reason_end": "fwdbtn" if skipped else "trackdone",
        "shuffle": rng.random() < 0.4,
        "skipped": skipped,
        "offline": False,
        "offline_timestamp": None,
        "incognito_mode": False,
    }


def account_history(extended: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Account data's view of the same music plays: to the minute, names only, no URIs."""
    for record in extended:
        if record["master_metadata_track_name"] is None:
            continue
        yield {
            "endTime": record["ts"][:16].replace("T", " "),
            "artistName": record["master_metadata_album_artist_name"],
            "trackName": record["master_metadata_track_name"],
            "msPlayed": record["ms_played"],
        }


def your_library(
    saved: Sequence[SampleTrack],
    *,
    followed: Sequence[tuple[str, str]] = (),
    banned: Sequence[SampleTrack] = (),
) -> dict[str, Any]:
    """YourLibrary.json: saved tracks, their albums, followed artists ((Spotify id, name)), hidden tracks."""
    return {
        "tracks": [_library_track(track) for track in saved],
        "albums": [
            {"artist": track.artist, "album": track.album, "uri": "spotify:album:0000000000000000000000"}
            for track in saved[:3]
        ],
        "shows": [
            {"name": "Sample Show", "publisher": "Nobody", "uri": "spotify:show:0000000000000000000000"}
        ],
        "episodes": [],
        "bannedTracks": [_library_track(track) for track in banned],
        "artists": [{"name": name, "uri": f"spotify:artist:{artist_id}"} for artist_id, name in followed],
        "bannedArtists": [],
        "other": [],
    }


def _library_track(track: SampleTrack) -> dict[str, str]:
    return {
        "artist": track.artist,
        "album": track.album,
        "track": track.title,
        "uri": f"spotify:track:{track.spotify_id}",
    }


def playlists(named: Sequence[tuple[str, Sequence[SampleTrack]]]) -> dict[str, Any]:
    """Playlist1.json: each (name, tracks) as a playlist, plus a local file and an episode."""
    return {
        "playlists": [
            {
                "name": name,
                "lastModifiedDate": "2026-10-01",
                "collaborators": [],
                "items": [_playlist_item(track) for track in tracks]
                + [
                    {"track": None, "episode": {"episodeName": "Sample", "showName": "Sample Show"},
                     "localTrack": None, "audiobook": None, "addedDate": "2026-09-01"},
                ],
                "description": None,
                "numberOfFollowers": 0,
            }
            for name, tracks in named
        ]
    }  # fmt: skip


def _playlist_item(track: SampleTrack) -> dict[str, Any]:
    return {
        "track": {
            "trackName": track.title,
            "artistName": track.artist,
            "albumName": track.album,
            "trackUri": f"spotify:track:{track.spotify_id}",
        },
        "episode": None,
        "localTrack": None,
        "audiobook": None,
        "addedDate": "2026-09-01",
    }


def json_array_write(out: IO[str], records: Iterable[dict[str, Any]]) -> int:
    """Write records as a JSON array one at a time (never the whole list in memory); returns how many."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def zip_write(path: Path, members: dict[str, Any]) -> Path:
    """A ZIP of ``members`` (name → JSON value, or an iterator of records written as an array)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
                if isinstance(value, Iterator):
                    json_array_write(out, value)
                else:
                    json.dump(value, out, ensure_ascii=False, indent=2)
    return path


# --- the demo files ------------------------------------------------------------------------------

DEMO_GENRES = ("jazz", "blues", "soul")  # a listener the popular pool would never guess
DEMO_START = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)


def demo_tracks(catalog: dict[str, Any], *, genres: Sequence[str] = DEMO_GENRES) -> list[SampleTrack]:
    """The demo catalog's tracks of ``genres`` (the listener's favourites first), plus two it lacks."""
    artists = {artist["id"]: artist["name"] for artist in catalog["artists"]}
    albums = {album["id"]: album["name"] for album in catalog["albums"]}
    chosen = [
        SampleTrack(
            track["id"],
            track["name"],
            artists[track["artist_ids"][0]],
            albums.get(track["album_id"], ""),
            track["duration_ms"] or 200_000,
        )
        for track in catalog["tracks"]
        if track["genre"] in genres and track["artist_ids"]
    ]
    chosen.sort(
        key=lambda track: (genres.index(_genre_of(catalog, track.spotify_id)), track.artist, track.title)
    )
    unknown = [
        SampleTrack(
            "0sampleTrackNotInCatalg", "A Song You Won't Find", "The Unknown Quartet", "Nowhere", 190_000
        ),
        SampleTrack(
            "1sampleTrackNotInCatalg", "Another Missing Tune", "The Unknown Quartet", "Nowhere", 210_000
        ),
    ]
    return chosen[:60] + unknown


def _genre_of(catalog: dict[str, Any], track_id: str) -> str:
    return next(track["genre"] for track in catalog["tracks"] if track["id"] == track_id)


def demo_downloads_write(directory: Path, catalog: dict[str, Any]) -> list[Path]:
    """The two demo downloads: account data (about a year) and extended history (its lifetime)."""
    directory.mkdir(parents=True, exist_ok=True)
    tracks = demo_tracks(catalog)
    artist_ids = {artist["name"]: artist["id"] for artist in catalog["artists"]}
    followed = [
        (artist_ids[name], name)
        for name in dict.fromkeys(t.artist for t in tracks[:30])
        if name in artist_ids
    ]
    extended = list(extended_history(tracks, plays=1500, start=DEMO_START))
    podcast = {
        "endTime": "2026-01-05 08:10",
        "podcastName": "Sample Show",
        "episodeName": "Sample",
        "msPlayed": 1,
    }
    account_data = {
        "StreamingHistory_music_0.json": list(account_history(extended[500:])),
        "StreamingHistory_podcast_0.json": [podcast],
        "YourLibrary.json": your_library(tracks[:25], followed=followed[:8], banned=tracks[-4:-2]),
        "Playlist1.json": playlists([("late night", tracks[5:20]), ("sunday", tracks[20:35])]),
        "Userdata.json": {"username": FAKE_USERNAME, "country": FAKE_COUNTRY},  # never read
    }
    account = zip_write(
        directory / "my_spotify_data.zip",
        {f"Spotify Account Data/{name}": value for name, value in account_data.items()},
    )
    history = zip_write(
        directory / "my_spotify_data_extended.zip",
        {"Spotify Extended Streaming History/Streaming_History_Audio_2025-2026_0.json": iter(extended)},
    )
    return [account, history]


def main(argv: Sequence[str]) -> None:
    target = Path(argv[0]) if argv else Path("demo/spotify_download")
    catalog = catalog_file_read(Path(__file__).resolve().parents[2] / "demo" / "catalog.json.gz")
    for path in demo_downloads_write(target, catalog):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
