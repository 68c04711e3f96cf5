"""Plain results the recommender hands to the agent, views and commands."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class RecommendedTrack:
    track_id: int
    spotify_id: str
    name: str
    artists: list[str] = field(hash=False)
    album: str
    duration_ms: int
    genre: str
    valence: float | None
    energy: float | None
    score: float
    reason: str
    sources: list[str] = field(default_factory=list, hash=False)
    parts: dict[str, float] = field(default_factory=dict, hash=False)
    served_item_id: int | None = None
    lifted: bool = False  # chosen to lift a low mood rather than meet it
    mood: str = ""  # the track's most likely mood as people label it ("calm"), "" when unknown
    mood_confidence: float | None = None  # its probability, for the card's "calm · 82%"
    image: str = ""  # the album's cover URL, "" when we have none yet

    def as_dict(self) -> dict[str, object]:
        """JSON-safe: plain str/int/float/None and a list of str; ``image`` only when known, as
        cards keep the keys they had before covers."""
        # By hand: dataclasses.asdict deep-copies every value, ~0.3 ms a track on the turn's path.
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        data["artists"] = list(self.artists)
        data["sources"] = list(self.sources)
        data["parts"] = dict(self.parts)
        data["score"] = round(float(self.score), 4)
        if not self.image:
            del data["image"]
        return data


FIELD_NAMES = tuple(f.name for f in fields(RecommendedTrack))
