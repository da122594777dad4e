"""Findings as spans: tidy their edges, drop what is not an identifier, merge overlaps. Pure functions."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .config import DeidConfig
from .patterns import MONTH_ANY, ORD, WEEKDAY


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    score: float
    source: str = ""

    def text(self, s: str) -> str:
        return s[self.start:self.end]


# A spaCy DATE is kept only when it pins down more than a year: a month, a weekday, a day, a holiday or a
# numeric date. "Two weeks", "2019", "last year", "the nineties" stay.
_FINE_DATE = re.compile(
    rf"\b(?:{MONTH_ANY}|{WEEKDAY}|{ORD}|\d{{1,2}}[/.\-]\d{{1,2}}|christmas|xmas|easter|boxing|new\s+year'?s|"
    r"halloween|thanksgiving|valentine|diwali|eid|hanukkah|birthday)\b", re.IGNORECASE)
_TITLE_WORDS = {"dr", "dr.", "doctor", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "mx", "prof", "prof.",
                "professor", "judge", "nurse", "sister", "father", "rev", "rev.", "reverend", "auntie", "aunty",
                "aunt", "uncle", "grandma", "grandad", "grandpa", "nan", "nana", "gran", "cousin", "mister",
                "missus", "sir", "dame", "lady", "officer", "coach", "pastor", "imam", "rabbi"}
_EDGE_PUNCT = " \t\n\r,.;:!?\"'()[]{}\u2019\u201c\u201d-\u2014\u2013"


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    """Shrink a span past edge punctuation, a leading 'the' (names) or title (people), a trailing 's."""
    while start < end and text[start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    if end - start > 2 and re.search(r"['\u2019]s$", text[start:end]) and kind in ("PERSON", "ORG", "CITY",
                                                                                     "PLACE", "CLIENT", "THERAPIST"):
        end -= 2
    while True:
        m = re.match(r"(\S+)\s+", text[start:end])
        if not m:
            break
        first = m.group(1).lower()
        if (kind != "DATE" and first in ("the", "a", "an", "my", "our", "his", "her", "their", "your")) or \
                (kind in ("PERSON", "CLIENT", "THERAPIST") and first in _TITLE_WORDS):
            start += m.end()
            continue
        break
    return start, end


def clean_spans(text: str, found: Iterable[Span], config: DeidConfig) -> list[Span]:
    """Trim each finding and drop those that identify no one."""
    out: list[Span] = []
    lex = config.lexicon
    for sp in found:
        start, end = _trim(text, sp.start, sp.end, sp.kind)
        if end <= start:
            continue
        surface = re.sub(r"\s+", " ", text[start:end]).lower()
        kind = sp.kind
        if sp.source.startswith("spacy"):
            if surface in config.not_identifiers or surface in lex.common_words:
                continue
            if kind == "DATE" and not _FINE_DATE.search(surface):
                continue
            if kind in ("PERSON", "ORG", "CITY", "PLACE") and not re.search(r"[A-Za-z]", surface):
                continue
        elif surface in config.not_identifiers:
            continue
        if kind == "PHONE" and sum(c.isdigit() for c in surface) < 7 and not re.search(r"[a-z]{2}", surface):
            continue  # Presidio's phone matcher, at its most lenient, takes years ("2006") for numbers
        if kind == "CITY" and surface in lex.regions:
            kind = "PLACE"
        out.append(Span(start, end, kind, sp.score, sp.source))
    return out


def merge_spans(spans: Iterable[Span], precedence: tuple[str, ...]) -> list[Span]:
    """Overlapping findings become one span over their union; it takes the kind of the best-scored finding
    of our own recognisers, else of spaCy (ties: the kind earlier in `precedence`)."""
    rank = {k: i for i, k in enumerate(precedence)}
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[list[Span]] = []
    for sp in ordered:
        if merged and sp.start < max(s.end for s in merged[-1]):
            merged[-1].append(sp)
        else:
            merged.append([sp])
    out = []
    for group in merged:
        # The small spaCy model often finds the right words but the wrong kind (a first name as ORG); a
        # pattern's or a word list's kind is more specific, so it wins when there is one.
        # The capitalised-proper-noun fallback only says "something is here": it never chooses the kind.
        ours = [s for s in group if not s.source.startswith(("spacy", "fallback"))] or \
            [s for s in group if not s.source.startswith("fallback")] or group
        best = min(ours, key=lambda s: (-s.score, rank.get(s.kind, len(rank)), -(s.end - s.start)))
        out.append(Span(min(s.start for s in group), max(s.end for s in group), best.kind, best.score, best.source))
    return out
