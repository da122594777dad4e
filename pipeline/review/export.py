"""Reviewer decisions as training items in the corpus schema (pipeline/corpus/schema.py).

Each decided moment gives one item per client turn of its effective span, with the 1-4 turns
before it as context: confirmed or relabelled -> the reviewer's family and subtype, rejected ->
family none. A client turn with no turn before it cannot carry context and is left out (counted).
Items of different reviewers keep separate ids, so disagreements stay visible in the data.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from .db import POSITIVE, ReviewDB

CONTEXT_TURNS = 4
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def _slug(text: str) -> str:
    return _UNSAFE_ID.sub("_", str(text)).strip("_") or "x"


def decision_items(decision: dict[str, Any], turns: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """(items, client turns left out for lack of context) for one decision on a session's turns."""
    positive = decision["verdict"] in POSITIVE
    scenario = f"review-{_slug(decision['session_id'])}-{_slug(decision['moment_key'])}"
    items, no_context = [], 0
    for t in turns[decision["start_turn"]:decision["end_turn"] + 1]:
        if t["role"] != "client" or not t["text"].strip():
            continue
        ctx = [{"role": c["role"], "speaker": c["speaker"], "text": c["text"]}
               for c in turns[max(0, t["index"] - CONTEXT_TURNS):t["index"]] if c["text"].strip()]
        if not ctx:
            no_context += 1
            continue
        items.append({
            "id": f"{scenario}-{_slug(decision['reviewer'])}-t{t['index']}", "scenario": scenario, "split": "train",
            "role": "client", "context": ctx, "text": t["text"],
            "family": decision["family"] if positive else "none",
            "subtype": decision["subtype"] if positive else None,
            "strategy": None, "style": "clean", "hard_negative": None if positive else "reviewer_rejected",
            "source": f"review:{decision['reviewer']}:{decision['verdict']}",
        })
    return items, no_context


def export_reviews(db: ReviewDB, out: str | Path, reviewer: str | None = None) -> dict[str, Any]:
    """Write the items of every decided moment (of `reviewer`, or everyone) to `out` (JSONL, atomically)."""
    turns_of: dict[str, list[dict[str, Any]]] = {}
    lines, counts = [], {"moments": 0, "items": 0, "confirmed": 0, "relabelled": 0, "rejected": 0,
                         "skipped_no_context": 0, "skipped_no_subtype": 0}
    for d in db.decisions(reviewer):
        if d["verdict"] in POSITIVE and not d["subtype"]:
            counts["skipped_no_subtype"] += 1
            continue
        if d["session_id"] not in turns_of:
            turns_of[d["session_id"]] = db.session(d["session_id"])["document"]["turns"]
        items, no_ctx = decision_items(d, turns_of[d["session_id"]])
        counts["skipped_no_context"] += no_ctx
        if items:
            counts["moments"] += 1
            counts[d["verdict"]] += 1
        for item in items:
            lines.append(json.dumps(item, ensure_ascii=False))
    counts["items"] = len(lines)
    atomic_write_text(out, "".join(line + "\n" for line in lines))
    return counts
