"""What the catalog announces, so apps above it can follow without the catalog knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a command wrote tracks (an import, the demo load), with ``track_ids`` (our pks;
# None: the whole catalog) and ``wait``: True asks receivers to finish their follow-up work
# (the recommender's track profiles) before returning, False to queue it once the write has
# committed. A receiver returns one line saying what it did, which the command prints.
tracks_written = Signal()
