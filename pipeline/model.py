"""The plain data model every stage shares: speakers, turns and sessions.

Turns are *merged speaker turns*: consecutive lines, cues or rows of one speaker form one turn,
indexed from 0 in order. Nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["therapist", "client"]
ROLES: tuple[str, ...] = ("therapist", "client")


@dataclass
class Utterance:
    """One raw line, cue or row as read from a file, before speaker turns are merged."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    line: int | None = None


@dataclass
class Speaker:
    label: str
    role: Role | None = None
    # How the role was decided: explicit, header, recognised, heuristic.
    role_source: str | None = None
    role_confidence: float | None = None


@dataclass
class Turn:
    index: int
    speaker: str
    text: str
    role: Role | None = None
    start: float | None = None
    end: float | None = None
    sentences: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass
class Session:
    id: str
    turns: list[Turn]
    speakers: list[Speaker]
    source: str | None = None
    format: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        times = [t.end if t.end is not None else t.start for t in self.turns]
        times = [t for t in times if t is not None]
        if not times:
            return None
        starts = [t.start for t in self.turns if t.start is not None]
        return max(times) - (min(starts) if starts else 0.0)

    @property
    def has_timestamps(self) -> bool:
        return any(t.start is not None for t in self.turns)

    def role_of(self, speaker: str) -> Role | None:
        for s in self.speakers:
            if s.label == speaker:
                return s.role
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "format": self.format,
            "metadata": self.metadata,
            "speakers": [asdict(s) for s in self.speakers],
            "n_turns": len(self.turns),
            "duration": self.duration,
            "warnings": self.warnings,
            "turns": [asdict(t) for t in self.turns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Session":
        return cls(
            id=data["id"],
            source=data.get("source"),
            format=data.get("format"),
            metadata=data.get("metadata", {}),
            warnings=data.get("warnings", []),
            speakers=[Speaker(**s) for s in data["speakers"]],
            turns=[Turn(**t) for t in data["turns"]],
        )


def infer_end_times(utterances: list[Utterance]) -> None:
    """An utterance without an explicit end ends when the next timed utterance starts."""
    for current, nxt in zip(utterances, utterances[1:]):
        if current.end is None and current.start is not None and nxt.start is not None and nxt.start >= current.start:
            current.end = nxt.start


def merge_utterances(utterances: list[Utterance]) -> list[Turn]:
    """Merge consecutive utterances of one speaker into turns indexed from 0 (end times inferred first)."""
    infer_end_times(utterances)
    turns: list[Turn] = []
    for u in utterances:
        text = u.text.strip()
        if not text:
            continue
        if turns and turns[-1].speaker == u.speaker:
            last = turns[-1]
            last.text = f"{last.text} {text}"
            if u.end is not None:
                last.end = u.end
            elif u.start is not None:
                last.end = max(u.start, last.end or u.start)
            continue
        turns.append(Turn(index=len(turns), speaker=u.speaker, text=text, start=u.start, end=u.end, line=u.line))
    return turns
