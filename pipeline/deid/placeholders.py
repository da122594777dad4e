"""Consistent placeholders within one excerpt, and the speakers' names and display labels."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .config import DeidConfig
from .spans import _TITLE_WORDS


def name_words(text: str) -> frozenset[str]:
    """The words of a name that identify it: lower case, no titles, no possessive 's."""
    words = re.findall(r"[A-Za-z][A-Za-z'\u2019\-]*", text)
    out = set()
    for w in words:
        w = re.sub(r"['\u2019]s$", "", w.lower())
        if w and w not in _TITLE_WORDS and w.rstrip(".") not in _TITLE_WORDS:
            out.add(w)
    return frozenset(out)


def speaker_name_words(label: str, config: DeidConfig) -> frozenset[str]:
    """Name words in a speaker label: 'Maya Thompson' -> {maya, thompson}; 'SPEAKER_01', 'Client' -> {}."""
    if re.search(r"\d|_", label):
        return frozenset()
    words = name_words(label)
    return frozenset(w for w in words if len(w) >= 2 and w not in config.generic_speaker_words)


def pseudonym(value: str, prefix: str = "session") -> str:
    """A stable stand-in for an identifier that may carry a name (a session id, a file name)."""
    return f"{prefix}-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:10]}"


@dataclass
class SpeakerNames:
    """Who the speakers are, by role, and the label each is shown with in de-identified output."""

    by_word: dict[str, str] = field(default_factory=dict)       # name word -> CLIENT / THERAPIST kind key
    sets: dict[str, list[frozenset[str]]] = field(default_factory=dict)  # CLIENT -> [words of client 1, ...]
    display: dict[str, str] = field(default_factory=dict)        # original label -> "Client", "Therapist 2"

    @classmethod
    def from_speakers(cls, speakers: Iterable[dict[str, Any]], config: DeidConfig) -> "SpeakerNames":
        speakers = list(speakers or [])
        out = cls()
        by_role: dict[str, list[str]] = {}
        for sp in speakers:
            role = sp.get("role") or "speaker"
            by_role.setdefault(role, []).append(sp["label"])
        for role, labels in by_role.items():
            base = {"client": "Client", "therapist": "Therapist"}.get(role, "Speaker")
            for k, label in enumerate(labels, start=1):
                out.display[label] = base if len(labels) == 1 else f"{base} {k}"
        for sp in speakers:
            kind = {"client": "CLIENT", "therapist": "THERAPIST"}.get(sp.get("role") or "")
            words = speaker_name_words(sp["label"], config)
            if not kind or not words:
                continue
            out.sets.setdefault(kind, []).append(words)
            for w in words:
                out.by_word.setdefault(w, kind)
        return out


class PlaceholderMap:
    """Same identifier -> same placeholder within an excerpt; people numbered in order of appearance."""

    def __init__(self, config: DeidConfig, speakers: SpeakerNames | None = None):
        self.config = config
        self.speakers = speakers or SpeakerNames()
        self.people: list[frozenset[str]] = []
        self.numbered: dict[str, dict[str, int]] = {}

    def _speaker(self, kind: str, words: frozenset[str]) -> str | None:
        for role in ("CLIENT", "THERAPIST"):
            sets = self.speakers.sets.get(role, [])
            for k, s in enumerate(sets, start=1):
                if words & s:
                    return self.config.placeholder(role, k if len(sets) > 1 else None)
            if kind == role and sets:
                return self.config.placeholder(role, 1 if len(sets) > 1 else None)
        return None

    def label(self, kind: str, surface: str) -> str:
        if kind in ("PERSON", "CLIENT", "THERAPIST"):
            words = name_words(surface)
            speaker = self._speaker(kind, words)
            if speaker:
                return speaker
            kind = "PERSON"
            if kind not in self.config.numbered:
                return self.config.placeholder(kind)
            for n, known in enumerate(self.people, start=1):
                if words and (words <= known or known <= words):
                    if len(words) > len(known):
                        self.people[n - 1] = words
                    return self.config.placeholder(kind, n)
            self.people.append(words)
            return self.config.placeholder(kind, len(self.people))
        if kind in self.config.numbered:
            seen = self.numbered.setdefault(kind, {})
            key = re.sub(r"\s+", " ", surface.strip().lower())
            seen.setdefault(key, len(seen) + 1)
            return self.config.placeholder(kind, seen[key])
        return self.config.placeholder(kind)
