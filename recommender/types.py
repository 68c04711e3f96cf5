"""Plain results the recommender hands to the agent, views and commands."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def as_dict(self) -> dict[str, object]:
        """JSON-safe: plain str/int/float/None and a list of str."""
        data = asdict(self)
        data["artists"] = list(self.artists)
        data["score"] = round(float(self.score), 4)
        return data
