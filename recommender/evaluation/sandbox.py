"""Where a case runs: a transaction that is always rolled back, and a throwaway listener with a history.

Whatever a case writes (the user, their plays and top tracks, candidates, a weights row, the
leak guard's playlist edits) vanishes with the transaction; ``throwaway_users_delete`` sweeps
up after a run that crashed outside one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from spotify.models import Play, TimeRange, TopTrack

EVAL_EMAIL_DOMAIN = "eval.personalais.invalid"


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction that is always rolled back: what a case writes never outlives it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def throwaway_user(tag: str) -> User:
    """A listener of the evaluation's own, marked by its e-mail domain; ``tag`` keeps it unique."""
    return User.objects.create_user(f"eval-{tag}@{EVAL_EMAIL_DOMAIN}", None, display_name="Evaluation")


def throwaway_users_delete() -> int:
    """Remove eval users a crashed run might have left (cases roll back, so normally none)."""
    deleted, _ = User.objects.filter(email__endswith=f"@{EVAL_EMAIL_DOMAIN}").delete()
    return deleted


def history_store(user: User, track_ids: Sequence[int]) -> None:
    """The listener's history: one play per track (the last one most recent) and the first 50
    as medium-term top tracks, in order."""
    now = timezone.now()
    Play.objects.bulk_create(
        Play(user=user, track_id=track_id, played_at=now - timedelta(minutes=len(track_ids) - index))
        for index, track_id in enumerate(track_ids)
    )
    TopTrack.objects.bulk_create(
        TopTrack(user=user, track_id=track_id, time_range=TimeRange.MEDIUM, rank=rank)
        for rank, track_id in enumerate(track_ids[:50], start=1)
    )


def history_track_ids(user: User) -> list[int]:
    """Every track the listener played or has among their top tracks, in id order."""
    return sorted(
        set(Play.objects.filter(user=user).values_list("track_id", flat=True))
        | set(TopTrack.objects.filter(user=user).values_list("track_id", flat=True))
    )
