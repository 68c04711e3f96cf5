"""What a listener's Spotify side announces, so apps above it can follow without being imported."""

from __future__ import annotations

from django.dispatch import Signal

# Sent (with ``user_id``) when a library sync has finished and its writes are committed:
# the listener's top items, plays, follows and playlists are fresh.
library_synced = Signal()
