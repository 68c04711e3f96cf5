"""What one turn's tools share: the state they read and write, and the result each hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from chat.cards import TrackCard
from chat.events import ActionEvent
from chat.models import Conversation
from mood.perception import EmotionEstimate


@dataclass
class TurnState:
    """What the tools of one turn read and write; positions are 1-based in ``shown``."""

    user: User
    conversation: Conversation
    text: str
    mood: EmotionEstimate
    shown: list[TrackCard] = field(default_factory=list)  # the latest track list the listener saw
    picked: list[TrackCard] = field(default_factory=list)  # the latest list the agent recommended
    playlist: dict | None = None  # {"id", "spotify_id", "name"}: the playlist in play in this conversation
    new_tracks: list[TrackCard] = field(default_factory=list)  # tracks to show with this turn's reply
    actions: list[ActionEvent] = field(default_factory=list)  # what was done on Spotify, for the UI
    tools_called: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)  # what each tool said, in order
    # Whether this turn may write to Spotify (``planner.write_requested``); the registry refuses
    # write tools otherwise, so an LLM cannot write on a message that asked for no write.
    writes_allowed: bool = True
    dry_run: bool = False  # evaluation: Spotify writes are recorded in ``writes``, not sent
    writes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    summary: str  # a sentence the agent can say as is
    data: dict = field(default_factory=dict)

    def for_llm(self) -> dict:
        return {"ok": self.ok, "summary": self.summary, **self.data}
