"""Parse the authoring formats of the seed corpus (see data/src/FORMAT.md).

Stdlib only, so corpus writers can check their files without the full toolkit installed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .schema import SPLITS

CLIENT_CODES = {f"W{i}" for i in range(1, 8)} | {f"C{i}" for i in range(1, 8)}
STRATEGIES = {
    "clarify", "change_task", "rationale", "redirect", "invite_exploration",
    "acknowledge_contribution", "disclose_experience", "validate_defense", "link_pattern",
}
HARD_NEGATIVES = {
    "collaborative_disagreement", "closed_question_brief", "congruent_emotion",
    "self_criticism_explored", "scheduling_neutral", "cooperative_correction", "ordinary_thanks",
}
STYLES = {"clean", "asr", "disfluent"}
SEVERITIES = {"subtle", "moderate", "severe"}
_SPEAKER_ROLE = {"T": "therapist", "C": "client", "C2": "client", "C3": "client"}
_LINE = re.compile(r"^(>?)(T|C|C2|C3):\s?(.*)$")


class AuthoringError(ValueError):
    """A problem in an authoring file, with the file and line it was found on."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = str(path), line, message


@dataclass
class TurnItem:
    id: str
    scenario: str
    role: str
    text: str
    context: list[dict]
    style: str
    family: str | None = None
    subtype: str | None = None
    strategy: str | None = None
    hard_negative: str | None = None
    severity: str | None = None
    modality: str | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)


def family_of(code: str) -> str:
    return "withdrawal" if code.startswith("W") else "confrontation"


def _parse_header(path: Path, lineno: int, line: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in line.lstrip("#").split("|"):
        if not part.strip():
            continue
        if ":" not in part:
            raise AuthoringError(path, lineno, f"header field without ':' ({part.strip()!r})")
        key, value = part.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    for required in ("id", "scenario", "style", "label"):
        if required not in fields:
            raise AuthoringError(path, lineno, f"header lacks '{required}'")
    return fields


def _item_from_block(path: Path, start: int, header: dict[str, str], lines: list[tuple[int, str]]) -> TurnItem:
    turns = []
    judged = None
    for lineno, line in lines:
        m = _LINE.match(line)
        if not m:
            raise AuthoringError(path, lineno, "expected 'T:', 'C:' or '>T:'/'>C:' line")
        marker, speaker, text = m.groups()
        text = text.strip()
        if not text:
            raise AuthoringError(path, lineno, "empty turn text")
        if marker:
            if judged is not None:
                raise AuthoringError(path, lineno, "more than one judged ('>') line in block")
            judged = (lineno, speaker, text)
        else:
            if judged is not None:
                raise AuthoringError(path, lineno, "the judged ('>') line must be the last line of its block")
            turns.append({"role": _SPEAKER_ROLE[speaker], "speaker": speaker, "text": text})
    if judged is None:
        raise AuthoringError(path, start, "block has no judged ('>') line")
    if not 1 <= len(turns) <= 4:
        raise AuthoringError(path, start, f"block needs 1-4 context turns, has {len(turns)}")
    lineno, speaker, text = judged
    style = header["style"].lower()
    if style not in STYLES:
        raise AuthoringError(path, start, f"unknown style {style!r}")
    label = header["label"].strip()
    item = TurnItem(
        id=header["id"], scenario=header["scenario"], role=_SPEAKER_ROLE[speaker], text=text,
        context=turns, style=style, modality=header.get("modality"), source=f"{path.name}:{start}",
    )
    if item.role == "therapist":
        if not label.startswith("R:"):
            raise AuthoringError(path, start, f"therapist item needs label R:<strategy>, got {label!r}")
        strategy = label[2:].strip()
        if strategy != "none" and strategy not in STRATEGIES:
            raise AuthoringError(path, start, f"unknown strategy {strategy!r}")
        item.strategy = strategy
    else:
        if label == "none":
            item.family = "none"
            hard = header.get("hard")
            if hard:
                if hard not in HARD_NEGATIVES:
                    raise AuthoringError(path, start, f"unknown hard-negative category {hard!r}")
                item.hard_negative = hard
        elif label in CLIENT_CODES:
            item.family, item.subtype = family_of(label), label
            severity = header.get("severity")
            if severity and severity not in SEVERITIES:
                raise AuthoringError(path, start, f"unknown severity {severity!r}")
            item.severity = severity
        else:
            raise AuthoringError(path, start, f"client item label must be none or W1-W7/C1-C7, got {label!r}")
    return item


def parse_turn_file(path: Path | str) -> list[TurnItem]:
    """Parse one authoring file of turn items; raise AuthoringError naming file and line."""
    path = Path(path)
    items: list[TurnItem] = []
    header = None
    start = 0
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if header is not None:
            items.append(_item_from_block(path, start, header, block))

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line.startswith("###"):
            flush()
            header, start, block = _parse_header(path, lineno, line), lineno, []
        elif not line:
            continue
        elif header is None:
            raise AuthoringError(path, lineno, "text before the first '###' header")
        else:
            block.append((lineno, line))
    flush()
    return items


_TS = re.compile(r"^\[(\d{1,2}):(\d{2}):(\d{2})\]\s*")
_TAG = re.compile(r"\{\{\s*([^}]*?)\s*\}\}\s*$")


def parse_session_file(path: Path | str) -> dict:
    """Parse one authoring session file into a dict with turns and gold episodes."""
    path = Path(path)
    meta: dict[str, str] = {}
    turns: list[dict] = []
    outcomes: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, value = line.lstrip("#").partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "split" and value not in SPLITS:
                # An explicit split overrides the id hash (a set written for one split, e.g. a second
                # dev set); anything else would put a session where no reader looks for it.
                raise AuthoringError(path, lineno, f"split must be one of {', '.join(SPLITS)}, got {value!r}")
            if re.fullmatch(r"ep\d+", key):
                if value not in ("resolved", "unresolved"):
                    raise AuthoringError(path, lineno, f"episode outcome must be resolved/unresolved, got {value!r}")
                outcomes[key] = value
            else:
                meta[key] = value
            continue
        start = None
        m = _TS.match(line)
        if m:
            h, mi, s = (int(g) for g in m.groups())
            start = float(h * 3600 + mi * 60 + s)
            line = line[m.end():]
        m = _LINE.match(line)
        if not m or m.group(1):
            raise AuthoringError(path, lineno, "expected a 'T:' or 'C:' line")
        _, speaker, text = m.groups()
        tag = _TAG.search(text)
        label = episode = None
        if tag:
            text = text[: tag.start()].strip()
            parts = tag.group(1).split()
            if not parts or len(parts) > 2:
                raise AuthoringError(path, lineno, f"bad tag {{{{{tag.group(1)}}}}}")
            label = parts[0]
            episode = parts[1] if len(parts) == 2 else None
        role = _SPEAKER_ROLE[speaker]
        turn = {"speaker": speaker, "role": role, "text": text, "start": start,
                "family": "none" if role == "client" else None, "subtype": None,
                "strategy": None, "episode": episode, "line": lineno}
        if label:
            if role == "client":
                if label not in CLIENT_CODES:
                    raise AuthoringError(path, lineno, f"client tag must be W1-W7/C1-C7, got {label!r}")
                turn["family"], turn["subtype"] = family_of(label), label
            else:
                if label not in STRATEGIES:
                    raise AuthoringError(path, lineno, f"therapist tag must be a strategy, got {label!r}")
                turn["strategy"] = label
        if not text:
            raise AuthoringError(path, lineno, "empty turn text")
        if turns and turns[-1]["speaker"] == speaker:
            raise AuthoringError(path, lineno, "two consecutive lines from the same speaker: merge them")
        turns.append(turn)
    if "session" not in meta:
        raise AuthoringError(path, 1, "missing '# session:' header")
    episodes: dict[str, dict] = {}
    for idx, turn in enumerate(turns):
        ep = turn["episode"]
        if not ep:
            continue
        e = episodes.setdefault(ep, {"id": ep, "first_turn": None, "last_turn": None, "families": set(),
                                     "subtypes": [], "repair_turns": []})
        if turn["role"] == "client":
            if turn["subtype"] is None:
                raise AuthoringError(path, turn["line"], "client turn tagged with an episode but no code")
            e["first_turn"] = idx if e["first_turn"] is None else e["first_turn"]
            e["last_turn"] = idx
            e["families"].add(turn["family"])
            if turn["subtype"] not in e["subtypes"]:
                e["subtypes"].append(turn["subtype"])
        else:
            e["repair_turns"].append(idx)
    result_eps = []
    for ep_id, e in episodes.items():
        if e["first_turn"] is None:
            raise AuthoringError(path, 1, f"episode {ep_id} has no client rupture turn")
        if ep_id not in outcomes:
            raise AuthoringError(path, 1, f"episode {ep_id} lacks a '# {ep_id}: resolved|unresolved' line")
        fams = sorted(e["families"])
        result_eps.append({
            "id": ep_id, "first_turn": e["first_turn"], "last_turn": e["last_turn"],
            "family": fams[0] if len(fams) == 1 else "mixed", "families": fams, "subtypes": e["subtypes"],
            "resolved": outcomes[ep_id] == "resolved", "repair_turns": e["repair_turns"],
        })
    for turn in turns:
        turn.pop("line")
    return {"id": meta["session"], "meta": meta, "turns": turns,
            "episodes": sorted(result_eps, key=lambda e: e["first_turn"]), "source": path.name}
