"""Measure the offline agent's understanding on a dialogue CSV, with every Spotify write dry-run.

    python manage.py eval_agent --data chat/eval/agent_dev.csv [--user EMAIL] [--json]

Without ``--user`` a scratch listener is made with the demo listeners' playlist names; with it,
the given listener (e.g. one made by ``seed_demo --with-listeners``) is used as they are. Either
way everything the run writes to the database is rolled back, and nothing reaches Spotify.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from catalog.models import Playlist
from chat.agent.evaluation import AgentDataError, AgentScores, read_dialogues, run_dialogues
from chat.agent.planner import ACTIONS

# The scratch listener's playlists: the demo listeners' names, so a development set can name them.
SCRATCH_PLAYLISTS = (
    "3am thoughts",
    "rain on the window",
    "gym rotation",
    "late drive",
    "golden era",
    "pregame",
    "sunrise set",
    "riffs",
    "road trip '95",
    "deep focus",
    "sunday morning",
)


class _RolledBack(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Run each dialogue of a CSV (dialogue_id,turn,text,expected_action,expected_target) through the "
        "offline agent with Spotify writes dry-run; print accuracy per action, the confusion table and "
        "every wrong write (or, with --json, one object per turn)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--user", help="a listener's email (default: a scratch listener)")
        parser.add_argument("--json", action="store_true", help="one JSON object per turn")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dialogues = read_dialogues(options["data"])
        except AgentDataError as exc:
            raise CommandError(str(exc)) from exc
        scores: AgentScores | None = None
        try:
            with transaction.atomic():
                user = self._listener(options["user"])
                scores = run_dialogues(user, dialogues)
                raise _RolledBack
        except _RolledBack:
            pass
        assert scores is not None
        if options["json"]:
            for outcome in scores.outcomes:
                self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            return
        self._report(scores)

    def _listener(self, email: str | None):
        users = get_user_model().objects
        if email:
            user = users.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"No user with email {email!r}.")
            return user
        user = users.create_user(email="eval-agent@scratch.invalid", password=None)
        for index, name in enumerate(SCRATCH_PLAYLISTS):
            Playlist.objects.create(owner=user, spotify_id=f"evalscratch{index:011d}", name=name)
        return user

    def _report(self, scores: AgentScores) -> None:
        out = self.stdout.write
        total = len(scores.outcomes)
        out(f"{total} turns in {len({o.turn.dialogue_id for o in scores.outcomes})} dialogues")
        out("Accuracy per expected action:")
        for action, (right, asked) in scores.per_action().items():
            out(f"  {action:16s} {right:4d}/{asked:<4d} {right / asked:.3f}")
        confusion = scores.confusion()
        seen = [a for a in ACTIONS if any(a in pair for pair in confusion)]
        out("Confusion (rows = expected, columns = done):")
        out(" " * 16 + "".join(f"{a[:9]:>10s}" for a in seen))
        for expected in seen:
            row = [confusion.get((expected, done), 0) for done in seen]
            if any(row):
                out(f"{expected:16s}" + "".join(f"{n:10d}" for n in row))
        wrong = [o for o in scores.outcomes if not o.correct]
        if wrong:
            out("Wrong actions:")
            for o in wrong:
                where = f"[{o.turn.dialogue_id}#{o.turn.turn}] {o.turn.text!r}"
                out(f"  {where}: expected {o.turn.expected_action}, did {o.action}")
        bad_writes = scores.wrong_writes()
        if bad_writes:
            out("Wrong writes:")
            for o in bad_writes:
                out(
                    f"  [{o.turn.dialogue_id}#{o.turn.turn}] {o.turn.text!r}: wrote {o.writes} "
                    f"(expected {o.turn.expected_action} to {o.turn.expected_target or 'nothing'})"
                )
        writes_expected = scores.expected_writes()
        out(f"ACTION ACCURACY: {scores.accuracy:.3f} ({sum(o.correct for o in scores.outcomes)}/{total})")
        out(f"WRITES ON TARGET: {len(scores.writes_on_target())}/{len(writes_expected)}")
        out(f"WRITES NOT ASKED FOR: {len(scores.unasked_writes())}")
