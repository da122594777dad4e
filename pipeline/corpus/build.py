"""Build the JSONL corpus from the authoring files in data/src/ (see data/src/FORMAT.md)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_write_text
from .authoring import AuthoringError, parse_session_file, parse_turn_file
from .schema import DATA_DIR, SESSION_SPLIT_BOUNDS, split_of


def _item_record(item) -> dict[str, Any]:
    rec = asdict(item)
    rec.pop("extra", None)
    rec["split"] = split_of(rec["scenario"])
    return rec


def build_corpus(src: Path = DATA_DIR / "src", out: Path = DATA_DIR) -> dict[str, int]:
    """Parse every authoring file and write turns.jsonl and sessions.jsonl (atomically)."""
    items, sessions = [], []
    try:
        for path in sorted((src / "turns").glob("*.txt")):
            items.extend(_item_record(i) for i in parse_turn_file(path))
        for path in sorted((src / "sessions").glob("*.txt")):
            s = parse_session_file(path)
            s["split"] = s["meta"].get("split") or split_of(s["id"], SESSION_SPLIT_BOUNDS)
            sessions.append(s)
    except AuthoringError as err:
        raise InputError(err.path, err.message, line=err.line) from None
    ids = [i["id"] for i in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    if dupes:
        raise InputError(src / "turns", f"duplicate item ids: {', '.join(dupes[:10])}")
    second = second_coder_sessions(src / "second-coder", sessions)
    atomic_write_text(out / "turns.jsonl", "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    atomic_write_text(out / "sessions.jsonl", "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in sessions))
    if second:
        atomic_write_text(out / SECOND_CODER_FILE, "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in second))
    return {"items": len(items), "sessions": len(sessions), "second_coder": len(second)}


SECOND_CODER_FILE = "sessions-second-coder.jsonl"


def second_coder_sessions(folder: Path, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A second coder's labels for some gold sessions (same authoring format, same transcript).

    The transcript must be the first coder's turn for turn: agreement is only meaningful on the
    same text, so a copy that drifted is a build error naming the file and line."""
    if not folder.is_dir():
        return []
    first = {s["id"]: s for s in sessions}
    out = []
    try:
        for path in sorted(folder.glob("*.txt")):
            s = parse_session_file(path)
            gold = first.get(s["id"])
            if gold is None:
                raise InputError(path, f"session {s['id']!r} is not in data/src/sessions")
            theirs = [(t["speaker"], t["text"]) for t in gold["turns"]]
            mine = [(t["speaker"], t["text"]) for t in s["turns"]]
            if mine != theirs:
                k = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
                raise InputError(path, f"transcript differs from {gold['source']} at turn {k} "
                                       f"({len(mine)} turns here, {len(theirs)} there)")
            s["split"] = gold["split"]
            s["coder"] = "second"
            out.append(s)
    except AuthoringError as err:
        raise InputError(err.path, err.message, line=err.line) from None
    return out


def session_items(session: dict[str, Any], context_turns: int = 4) -> list[dict[str, Any]]:
    """Every turn of a gold session as a turn item with its preceding turns as context."""
    out = []
    turns = session["turns"]
    for i, turn in enumerate(turns):
        if i == 0:
            continue
        ctx = [{"role": t["role"], "speaker": t["speaker"], "text": t["text"]} for t in turns[max(0, i - context_turns):i]]
        rec = {"id": f"{session['id']}#{i}", "scenario": session["id"], "split": session["split"],
               "role": turn["role"], "context": ctx, "text": turn["text"], "style": session.get("meta", {}).get("style", "clean"),
               "hard_negative": None, "severity": None, "modality": session.get("meta", {}).get("modality"),
               "source": f"{session['source']}#{i}"}
        if turn["role"] == "client":
            rec.update(family=turn["family"] or "none", subtype=turn["subtype"], strategy=None)
        else:
            rec.update(family=None, subtype=None, strategy=turn["strategy"] or "none")
        out.append(rec)
    return out
