"""Decide who is the therapist and who is a client.

Order of evidence: an explicit mapping (CLI/config), a header line (`# therapist: Dr. Okafor`),
recognised labels (Therapist, T, Counsellor, Dr. ... / Client, Patient, C, ...), and otherwise a
heuristic (questions, reflections, who speaks first, turn length) that reports its confidence.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Iterable

from .errors import InputError
from .model import Session, Speaker

THERAPIST_LABEL = re.compile(
    r"^(t|th|ther|therapist|counsell?or|counselor|clinician|psychologist|psychotherapist|psychiatrist|"
    r"interviewer|provider|facilitator|doctor|dr\b.*|mi|coach|social worker|therapist\s?\d*|t\d)$", re.I)
CLIENT_LABEL = re.compile(
    r"^(c|cl|client|patient|pt|p|participant|interviewee|consumer|service user|member|"
    r"c\d|p\d|client\s?\w{0,3}|patient\s?\w{0,3}|partner\s?\w{0,3}|husband|wife|mother|father|mum|mom|dad|"
    r"parent\s?\w{0,3}|son|daughter|teen|youth|student)$", re.I)
_REFLECTION = re.compile(r"\b(it sounds like|sounds like|so you|you feel|you're feeling|what i'?m hearing|"
                         r"it seems|i wonder|you said|tell me|how do you|what do you|how did you|how was)\b", re.I)
_QUESTION_START = re.compile(r"^(what|how|why|when|where|who|which|can you|could you|would you|do you|did you|"
                             r"are you|is it|have you|tell me)\b", re.I)


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().lower().rstrip(".:"))


def _listing(labels: list[str], most: int = 10) -> str:
    """Speaker labels for an error message: short, and a bounded number of them."""
    shown = [lab if len(lab) <= 40 else lab[:39] + "…" for lab in labels[:most]]
    more = f" and {len(labels) - most} more" if len(labels) > most else ""
    return ", ".join(shown) + more


def _parse_names(value: str | Iterable[str] | None) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        value = re.split(r"[,;]", value)
    return {_norm(v) for v in value if v and v.strip()}


def heuristic_scores(session: Session) -> dict[str, float]:
    """Therapist-likeness per speaker label (higher = more therapist-like)."""
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for turn in session.turns:
        s = stats[turn.speaker]
        s["turns"] += 1
        s["words"] += len(turn.text.split())
        s["questions"] += turn.text.rstrip().endswith("?") or bool(_QUESTION_START.match(turn.text))
        s["reflections"] += bool(_REFLECTION.search(turn.text))
    first = session.turns[0].speaker if session.turns else None
    total_words = sum(s["words"] for s in stats.values()) or 1
    scores = {}
    for label, s in stats.items():
        n = s["turns"] or 1
        scores[label] = (2.0 * s["questions"] / n + 1.5 * s["reflections"] / n
                         + 0.3 * (label == first) - 1.0 * s["words"] / total_words)
    return scores


def assign_roles(session: Session, therapist: str | Iterable[str] | None = None,
                 explicit: dict[str, str] | None = None) -> Session:
    """Fill `session.speakers` and each turn's role in place; return the session."""
    labels = list(dict.fromkeys(t.speaker for t in session.turns))
    if len(labels) < 2:
        raise InputError(session.source, f"only one speaker found ({_listing(labels) or 'none'}); "
                                         "a session needs a therapist and at least one client")
    speakers = {lab: Speaker(label=lab) for lab in labels}
    by_norm = {_norm(lab): lab for lab in labels}

    def set_role(label: str, role: str, source: str, conf: float = 1.0) -> None:
        sp = speakers[label]
        if sp.role is None:
            sp.role, sp.role_source, sp.role_confidence = role, source, conf  # type: ignore[assignment]

    explicit_map = {_norm(k): v for k, v in (explicit or {}).items()}
    for name in _parse_names(therapist):
        explicit_map[name] = "therapist"
    for name, role in explicit_map.items():
        if role not in ("therapist", "client"):
            raise InputError(session.source, f"role for {name!r} must be therapist or client, got {role!r}")
        if name not in by_norm:
            raise InputError(session.source, f"speaker {name!r} given as {role} is not in this transcript "
                                             f"(speakers: {_listing(labels)})")
        set_role(by_norm[name], role, "explicit")
    if any(r == "therapist" for r in explicit_map.values()):
        for lab in labels:
            set_role(lab, "client", "explicit")

    for key, role in (("therapist", "therapist"), ("client", "client"), ("clients", "client")):
        for name in _parse_names(session.metadata.get(key)):
            if name in by_norm:
                set_role(by_norm[name], role, "header")
    if any(s.role == "therapist" and s.role_source == "header" for s in speakers.values()):
        for lab in labels:
            set_role(lab, "client", "header")

    for lab in labels:
        n = _norm(lab)
        if THERAPIST_LABEL.match(n):
            set_role(lab, "therapist", "recognised")
        elif CLIENT_LABEL.match(n):
            set_role(lab, "client", "recognised")

    unknown = [lab for lab in labels if speakers[lab].role is None]
    has_therapist = any(s.role == "therapist" for s in speakers.values())
    if unknown:
        scores = heuristic_scores(session)
        if has_therapist:
            for lab in unknown:
                set_role(lab, "client", "heuristic", 0.9)
        else:
            ranked = sorted(unknown, key=lambda lab: scores[lab], reverse=True)
            margin = scores[ranked[0]] - (scores[ranked[1]] if len(ranked) > 1 else 0.0)
            conf = round(1 / (1 + math.exp(-4 * margin)), 2)
            set_role(ranked[0], "therapist", "heuristic", conf)
            for lab in ranked[1:]:
                set_role(lab, "client", "heuristic", conf)
            session.warnings.append(
                f"{session.source}: roles guessed from speech (questions, reflections, who speaks first): "
                f"therapist = {ranked[0]!r} (confidence {conf:.2f}); pass --therapist NAME to set it")
    if not any(s.role == "client" for s in speakers.values()):
        raise InputError(session.source, "no client speaker identified (every speaker looks like a therapist); "
                                         "pass --therapist NAME")
    if not any(s.role == "therapist" for s in speakers.values()):
        raise InputError(session.source, "no therapist identified; pass --therapist NAME")
    session.speakers = [speakers[lab] for lab in labels]
    for turn in session.turns:
        turn.role = speakers[turn.speaker].role
    return session
