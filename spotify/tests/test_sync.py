"""The library sync and playlist writes, end to end against the emulator over real HTTP."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from catalog.models import Playlist, Track
from spotify import services
from spotify.errors import SpotifyPermissionDenied, SpotifyRateLimited
from spotify.models import FollowedArtist, LibrarySync, Play, SpotifyLink, TopArtist, TopTrack
from spotify.selectors import libraries_due_for_sync, spotify_status
from spotify.tasks import retry_delay, sync_library
from spotify.types import ArtistInfo, TrackInfo
from tests.emulator import MALIK, NORA, consented_link
from tests.factories import LibrarySyncFactory

pytestmark = pytest.mark.django_db

RANGES = ("short_term", "medium_term", "long_term")


def library_rows(user) -> dict[str, list]:
    return {
        "top_tracks": list(
            TopTrack.objects.filter(user=user).values_list("time_range", "rank", "track__spotify_id")
        ),
        "top_artists": list(
            TopArtist.objects.filter(user=user).values_list("time_range", "rank", "artist__spotify_id")
        ),
        "plays": list(Play.objects.filter(user=user).values_list("played_at", "track__spotify_id")),
        "followed": sorted(
            FollowedArtist.objects.filter(user=user).values_list("artist__spotify_id", flat=True)
        ),
        "playlists": sorted(Playlist.objects.filter(owner=user).values_list("spotify_id", "name")),
    }


def test_a_first_sync_pulls_the_whole_library_in_a_bounded_number_of_calls(spotify_at, alice):
    consented_link(spotify_at, alice)
    before = spotify_at.requests_made()

    report = services.library_sync(user=alice)

    rows = library_rows(alice)
    for time_range in RANGES:
        synced = [sid for rng, _, sid in sorted(rows["top_tracks"]) if rng == time_range]
        assert synced == MALIK["top_tracks"][time_range]
    assert sorted(rows["followed"]) == sorted(MALIK["followed_artists"])
    assert len(rows["plays"]) == len(MALIK["recently_played"]) == report.new_plays
    assert sorted(name for _, name in rows["playlists"]) == sorted(p["name"] for p in MALIK["playlists"])
    gym = Playlist.objects.get(owner=alice, name="gym rotation")
    assert list(gym.items.values_list("track__spotify_id", flat=True)) == MALIK["playlists"][0]["track_ids"]
    assert Track.objects.filter(spotify_id__in=MALIK["top_tracks"]["short_term"]).count() == 50
    # 3 + 3 ranges, 1 page of plays, followed artists, playlists list, items of each own playlist.
    assert report.api_calls == spotify_at.requests_made() - before
    assert report.api_calls <= 6 + 1 + 1 + 1 + len(MALIK["playlists"])
    sync = LibrarySync.objects.get(user=alice)
    assert (
        sync.state == LibrarySync.State.DONE and sync.last_success_at and sync.api_calls == report.api_calls
    )


def test_a_second_sync_changes_nothing_and_skips_unchanged_playlists(spotify_at, alice):
    consented_link(spotify_at, alice)
    first = services.library_sync(user=alice)
    rows = library_rows(alice)

    second = services.library_sync(user=alice)

    assert library_rows(alice) == rows
    assert second.new_plays == 0
    assert second.api_calls == first.api_calls - len(MALIK["playlists"])


def test_a_rate_limit_stops_the_sync_at_once_and_the_task_comes_back_later(spotify_at, alice):
    consented_link(spotify_at, alice)
    spotify_at.fault(status=429, count=1, retry_after=3600)

    started = time.monotonic()
    with pytest.raises(SpotifyRateLimited) as caught:
        services.library_sync(user=alice)
    assert time.monotonic() - started < 2, "the client must never sleep on Retry-After"
    assert caught.value.retry_after == 3600
    assert LibrarySync.objects.get(user=alice).state == LibrarySync.State.WAITING

    spotify_at.fault(status=429, count=1, retry_after=3600)
    result = sync_library.apply(args=[alice.pk])  # eager: the retry runs at once instead of in an hour
    assert result.successful() and result.result["top_tracks"] == 150
    assert LibrarySync.objects.get(user=alice).state == LibrarySync.State.DONE


def test_a_retry_waits_for_retry_after_capped_with_jitter(settings):
    settings.SPOTIFY_RETRY_AFTER_CAP_SECONDS = 600
    delays = [retry_delay(0, retry_after=3600) for _ in range(50)]
    assert all(600 <= delay <= 660 for delay in delays) and len(set(delays)) > 1
    assert 10 <= retry_delay(0, retry_after=10) <= 11
    assert retry_delay(3) > retry_delay(0)


def test_a_listener_outside_the_allow_list_is_told_why(spotify_at, alice):
    consented_link(spotify_at, alice)
    spotify_at.allowlist([])

    with pytest.raises(SpotifyPermissionDenied):
        services.library_sync(user=alice)

    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.NOT_ALLOWLISTED
    status = spotify_status(user=alice)
    assert status.needs_action and "development mode" in status.message


def test_a_playlist_made_in_the_app_appears_on_spotify_in_order(spotify_at, alice):
    consented_link(spotify_at, alice)
    track_ids = MALIK["top_tracks"]["long_term"][:5]
    services.tracks_upsert(services.spotify_client_for(user=alice).track(sid) for sid in track_ids)

    playlist = services.playlist_create_with_tracks(
        user=alice, name="Rainy Sunday", track_spotify_ids=track_ids
    )

    remote = [p for p in spotify_at.state(MALIK["id"])["playlists"] if p["id"] == playlist.spotify_id]
    assert remote and remote[0]["name"] == "Rainy Sunday" and remote[0]["track_ids"] == track_ids
    assert list(playlist.items.values_list("track__spotify_id", flat=True)) == track_ids


def test_only_stale_or_never_synced_connected_libraries_are_due(spotify_at, alice, charlie, settings):
    consented_link(spotify_at, alice)
    services.library_sync(user=alice)
    consented_link(spotify_at, charlie, listener=NORA)
    assert libraries_due_for_sync() == [charlie.pk]

    LibrarySync.objects.filter(user=alice).update(
        last_success_at=timezone.now() - timedelta(hours=settings.SPOTIFY_SYNC_INTERVAL_HOURS, minutes=1)
    )
    SpotifyLink.objects.filter(user=charlie).update(status=SpotifyLink.Status.NEEDS_RECONSENT)
    assert libraries_due_for_sync() == [alice.pk]


def test_a_sync_does_nothing_while_another_runs_but_takes_over_a_dead_one(spotify_at, alice):
    consented_link(spotify_at, alice)
    LibrarySyncFactory.create(user=alice, state=LibrarySync.State.RUNNING, started_at=timezone.now())
    before = spotify_at.requests_made()

    assert isinstance(services.library_sync(user=alice), services.SyncSkipped)
    assert spotify_at.requests_made() == before

    LibrarySync.objects.filter(user=alice).update(started_at=timezone.now() - timedelta(hours=1))
    assert services.library_sync(user=alice).top_tracks == 150


def test_a_token_spotify_rejects_is_refreshed_and_the_sync_carries_on(spotify_at, alice):
    consented_link(spotify_at, alice)
    spotify_at.fault(expire_access_tokens=MALIK["id"])

    report = services.library_sync(user=alice)  # the 401 is met with a refresh and the call again
    assert report.top_tracks == 150
    assert LibrarySync.objects.get(user=alice).state == LibrarySync.State.DONE
    assert SpotifyLink.objects.get(user=alice).status == SpotifyLink.Status.ACTIVE


def test_an_unexpected_failure_leaves_the_sync_failed_not_running(spotify_at, alice, settings):
    consented_link(spotify_at, alice)
    settings.FIELD_ENCRYPTION_KEY = "a-different-key"  # the stored tokens can no longer be decrypted

    with pytest.raises(ImproperlyConfigured):
        services.library_sync(user=alice)

    sync = LibrarySync.objects.get(user=alice)
    assert sync.state == LibrarySync.State.FAILED and "unexpectedly" in sync.error


def test_what_spotify_says_of_explicit_lyrics_is_kept_and_outranks_a_file(spotify_at, alice):
    consented_link(spotify_at, alice)
    services.library_sync(user=alice)
    synced = Track.objects.filter(spotify_id__in=MALIK["top_tracks"]["short_term"])
    assert not synced.exclude(explicit_source__in=["", "estimate"]).exists()  # the emulator knows no flags

    known = synced.first()
    assert known is not None
    info = TrackInfo(known.spotify_id, known.name, (), None, known.duration_ms, True, "", "")
    new = TrackInfo("N" * 22, "Brand New", (ArtistInfo("A" * 22, "Somebody New"),), None, 1000, False, "", "")
    pks = services.tracks_upsert([info, new])

    known.refresh_from_db()
    assert (known.explicit, known.explicit_source) == (True, "spotify")
    assert Track.objects.filter(pk=pks[new.id], explicit=False, explicit_source="spotify").exists()


def test_a_sync_whose_worker_was_killed_is_started_again_not_running_forever(spotify_at, alice, client):
    consented_link(spotify_at, alice)
    # What a worker SIGKILLed mid-sync leaves behind: "running", started long ago, never finished.
    LibrarySync.objects.update_or_create(
        user=alice,
        defaults={
            "state": LibrarySync.State.RUNNING,
            "step": "top tracks",
            "started_at": timezone.now() - timedelta(minutes=20),
        },
    )
    assert alice.pk in libraries_due_for_sync()  # beat starts it again
    client.force_login(alice)
    client.post("/library/sync/")  # and "Sync now" is not refused
    assert LibrarySync.objects.get(user=alice).state in (LibrarySync.State.QUEUED, LibrarySync.State.DONE)
    # A sync that is really running (started a minute ago) is still left alone.
    LibrarySync.objects.filter(user=alice).update(
        state=LibrarySync.State.RUNNING, started_at=timezone.now() - timedelta(minutes=1)
    )
    assert alice.pk not in libraries_due_for_sync()
    assert not services.library_sync_queued(user=alice)
