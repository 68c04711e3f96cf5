"""How well the offline agent understands: dialogues from a CSV, run turn by turn with Spotify writes dry-run.

A file has ``dialogue_id,turn,text,expected_action,expected_target``; each dialogue runs in a
new conversation of one listener, in order, through the real turn (perception, planner, tools,
database), with ``dry_run`` so every write is recorded instead of sent. Three figures decide:
action accuracy, writes that hit their expected playlist, and writes where none was asked.
The caller owns the transaction (``eval_agent`` rolls everything back).
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from accounts.models import User
from chat.models import Conversation

from .planner import ACTIONS
from .turn import run_turn

COLUMNS = ("dialogue_id", "turn", "text", "expected_action", "expected_target")
WRITE_ACTIONS = frozenset({"playlist_create", "playlist_add", "playlist_remove", "undo"})


class AgentDataError(ValueError):
    """The CSV is missing, malformed, or names an action that does not exist."""


@dataclass(frozen=True)
class Turn:
    dialogue_id: str
    turn: int
    text: str
    expected_action: str
    expected_target: str


@dataclass
class TurnOutcome:
    turn: Turn
    action: str
    target: str  # the playlist its writes went to ("" when none)
    writes: list[dict]
    reply: str

    @property
    def correct(self) -> bool:
        return self.action == self.turn.expected_action

    def as_json(self) -> dict:
        return {
            "dialogue_id": self.turn.dialogue_id,
            "turn": self.turn.turn,
            "action": self.action,
            "target": self.target,
            "writes": self.writes,
        }


@dataclass
class AgentScores:
    outcomes: list[TurnOutcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(o.correct for o in self.outcomes) / max(1, len(self.outcomes))

    def per_action(self) -> dict[str, tuple[int, int]]:
        """expected action → (right, asked)."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for outcome in self.outcomes:
            counts[outcome.turn.expected_action][1] += 1
            counts[outcome.turn.expected_action][0] += outcome.correct
        return {action: (right, total) for action, (right, total) in sorted(counts.items())}

    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter((o.turn.expected_action, o.action) for o in self.outcomes)

    def expected_writes(self) -> list[TurnOutcome]:
        return [
            o for o in self.outcomes if o.turn.expected_action in WRITE_ACTIONS and o.turn.expected_target
        ]

    def writes_on_target(self) -> list[TurnOutcome]:
        return [o for o in self.expected_writes() if o.writes and _same(o.target, o.turn.expected_target)]

    def unasked_writes(self) -> list[TurnOutcome]:
        return [o for o in self.outcomes if o.writes and o.turn.expected_action not in WRITE_ACTIONS]

    def wrong_writes(self) -> list[TurnOutcome]:
        """Writes to another playlist than expected, and writes where none was asked."""
        wrong = [
            o
            for o in self.outcomes
            if o.writes
            and o.turn.expected_action in WRITE_ACTIONS
            and o.turn.expected_target
            and not _same(o.target, o.turn.expected_target)
        ]
        return wrong + self.unasked_writes()


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def read_dialogues(path: str | Path) -> list[list[Turn]]:
    """Dialogues in file order, each sorted by turn; AgentDataError says what is wrong and where."""
    path = Path(path)
    if not path.is_file():
        raise AgentDataError(f"{path}: no such file")
    dialogues: dict[str, list[Turn]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AgentDataError(f"{path}: missing columns {', '.join(missing)} (need {','.join(COLUMNS)})")
        for line, row in enumerate(reader, start=2):
            action = (row["expected_action"] or "").strip()
            if action not in ACTIONS:
                raise AgentDataError(
                    f"{path}:{line}: unknown action {action!r} (known: {', '.join(ACTIONS)})"
                )
            try:
                number = int(row["turn"])
            except (TypeError, ValueError):
                raise AgentDataError(f"{path}:{line}: turn must be a whole number") from None
            text = (row["text"] or "").strip()
            if not text:
                raise AgentDataError(f"{path}:{line}: empty text")
            turn = Turn(
                row["dialogue_id"].strip(), number, text, action, (row["expected_target"] or "").strip()
            )
            dialogues.setdefault(turn.dialogue_id, []).append(turn)
    if not dialogues:
        raise AgentDataError(f"{path}: no rows")
    return [sorted(turns, key=lambda t: t.turn) for turns in dialogues.values()]


def run_dialogues(user: User, dialogues: Iterable[list[Turn]], *, seed: int = 7) -> AgentScores:
    """Each dialogue in a fresh conversation of ``user``, every write dry-run."""
    scores = AgentScores()
    rng = random.Random(seed)
    for turns in dialogues:
        Conversation.objects.create(user=user)  # the newest: the turns below go into it
        for turn in turns:
            result = run_turn(user=user, text=turn.text, rng=rng, dry_run=True)
            reply = next((e["text"] for e in result.events if e.get("type") == "message"), "")
            target = next((w["playlist"] for w in result.writes if w.get("playlist")), "")
            scores.outcomes.append(
                TurnOutcome(turn, result.meta.get("action", "chat"), target, result.writes, reply)
            )
    return scores
