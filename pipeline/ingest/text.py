"""Speaker-prefixed plain text: `T: ...`, `THERAPIST: ...`, `Dr. Okafor: ...`, `Speaker 1: ...`.

Timestamps `[hh:mm:ss]`, `[mm:ss]`, `(mm:ss)` may stand before or after the prefix; lines without a
prefix continue the current turn; `# key: value` lines at the top are header metadata.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..errors import InputError
from ..model import Utterance
from .timecodes import parse_clock

_TS = r"[\[(](\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]"
_TS_ONLY = re.compile(rf"^\s*{_TS}\s*$")
_LEADING_TS = re.compile(rf"^\s*{_TS}\s*[-–]?\s*")
# A label: 1-4 words, starting with a letter, optionally with dots (Dr.), digits, apostrophes, hyphens.
_PREFIX = re.compile(r"^\s*(?:\*\*)?([A-Za-zÀ-ÿ][\w.'’\- ]{0,38}?)(?:\*\*)?\s*:\s+(.*)$")
_PREFIX_EMPTY = re.compile(r"^\s*([A-Za-zÀ-ÿ][\w.'’\- ]{0,38}?)\s*:\s*$")
_HEADER = re.compile(r"^\s*#\s*([A-Za-z_ ]{1,30})\s*:\s*(.*)$")
_BRACKET_SPEAKER = re.compile(r"^\s*\[([A-Za-z][\w.' \-]{0,30})\]\s*(.+)$")

# Words that end in ':' inside ordinary speech and are not speakers.
_NOT_SPEAKERS = {"note", "notes", "edit", "ps", "p.s", "re", "warning", "update", "example", "quote",
                 "answer", "question", "q", "a", "http", "https", "time", "date", "session"}

ROLE_HINT_LABEL = re.compile(
    r"^(t|c|c\d|p|pt|th|cl|therapist|client|patient|counsell?or|clinician|interviewer|interviewee|"
    r"doctor|dr\.?\s.*|speaker[ _]?\w+|spk[ _]?\d+|participant\s?\d*|partner\s?\w*|mother|father|mum|mom|dad|"
    r"parent|teen|client\s?\d+|therapist\s?\d*)$",
    re.IGNORECASE,
)


@dataclass
class TextParse:
    utterances: list[Utterance]
    metadata: dict[str, str]
    warnings: list[str]


def _looks_like_label(label: str) -> bool:
    words = label.split()
    if not words or len(words) > 4:
        return False
    if label.lower().rstrip(".") in _NOT_SPEAKERS:
        return False
    return bool(ROLE_HINT_LABEL.match(label)) or label[0].isupper() or label.islower() and len(words) == 1


def _split_prefix(line: str) -> tuple[str | None, str | None, str]:
    """Return (timestamp, label, rest) for a line; label None when it has no speaker prefix."""
    ts = None
    m = _LEADING_TS.match(line)
    if m:
        ts, line = m.group(1), line[m.end():]
    m = _PREFIX.match(line) or _PREFIX_EMPTY.match(line)
    if m and _looks_like_label(m.group(1).strip()):
        label = m.group(1).strip()
        rest = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
        if ts is None:
            m2 = _LEADING_TS.match(rest)
            if m2:
                ts, rest = m2.group(1), rest[m2.end():]
        return ts, label, rest
    m = _BRACKET_SPEAKER.match(line)
    if m and _looks_like_label(m.group(1)) and parse_clock(m.group(1)) is None:
        return ts, m.group(1).strip(), m.group(2)
    return ts, None, line


def parse_text(text: str, path: str) -> TextParse:
    lines = text.split("\n")
    metadata: dict[str, str] = {}
    parsed: list[tuple[int, str | None, str | None, str]] = []
    in_header = True
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        h = _HEADER.match(raw)
        if h and (in_header or h.group(1).strip().lower() in {"therapist", "client", "clients"}):
            metadata[h.group(1).strip().lower()] = h.group(2).strip()
            continue
        if raw.lstrip().startswith("#") and in_header:
            continue
        in_header = False
        ts_only = _TS_ONLY.match(raw)
        if ts_only:
            parsed.append((lineno, ts_only.group(1), None, ""))
            continue
        ts, label, rest = _split_prefix(raw)
        parsed.append((lineno, ts, label, rest.strip()))

    # A label counts as a speaker if it recurs or names a role; one-off "Name: ..." inside speech
    # (e.g. "My mum said: stop") stays part of the turn.
    counts = Counter(label for _, _, label, _ in parsed if label)
    speakers = {lab for lab, n in counts.items() if n >= 2 or ROLE_HINT_LABEL.match(lab)}
    if not speakers:
        raise InputError(path, "no speaker-prefixed lines found (expected lines like 'T: ...', "
                               "'Therapist: ...' or 'Speaker 1: ...')")
    canonical = _canonical_labels(speakers)

    utterances: list[Utterance] = []
    warnings: list[str] = []
    pending_ts: float | None = None
    for lineno, ts, label, rest in parsed:
        start = parse_clock(ts) if ts else None
        if ts and start is None:
            raise InputError(path, f"malformed timestamp {ts!r}", line=lineno)
        if label is not None and label not in speakers:
            rest = f"{label}: {rest}".strip()
            label = None
        if label is None and not rest:
            pending_ts = start if start is not None else pending_ts
            continue
        if label is None:
            if not utterances:
                metadata.setdefault("preamble", "")
                metadata["preamble"] = (metadata["preamble"] + " " + rest).strip()
                continue
            utterances[-1].text = f"{utterances[-1].text} {rest}".strip()
            continue
        if start is None:
            start, pending_ts = pending_ts, None
        utterances.append(Utterance(speaker=canonical[label], text=rest, start=start, line=lineno))
    if "preamble" in metadata:
        warnings.append(f"{path}: text before the first speaker line was kept as metadata 'preamble'")
    return TextParse(utterances, metadata, warnings)


def _canonical_labels(labels: set[str]) -> dict[str, str]:
    """Map case variants ('THERAPIST', 'Therapist') to one label, the most common spelling wins."""
    groups: dict[str, list[str]] = {}
    for lab in sorted(labels):
        groups.setdefault(lab.lower().rstrip("."), []).append(lab)
    return {lab: group[0] for group in groups.values() for lab in group}

