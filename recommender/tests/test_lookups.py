from __future__ import annotations

from catalog.models import Track, TrackArtist


def test_the_any_lookup_filters_and_excludes_like_in(small_catalog):
    ids = [track.pk for track in small_catalog[:5]]
    assert set(Track.objects.filter(pk__any=ids).values_list("pk", flat=True)) == set(ids)
    assert set(TrackArtist.objects.filter(track_id__any=ids).values_list("track_id", flat=True)) == set(ids)
    assert Track.objects.exclude(pk__any=ids).count() == len(small_catalog) - 5
    assert Track.objects.exclude(pk__any=[]).count() == len(small_catalog)
    assert not Track.objects.filter(pk__any=[]).exists()
