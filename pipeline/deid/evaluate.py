"""Recall and precision of the de-identifier on the PII test set.

An identifier counts as removed when every one of its words (bar function words such as 'the', 'of')
lies inside some predicted span, whatever kind the span was given: that is what matters for privacy.
`typed_recall` also asks for the right kind. A predicted span is correct when it overlaps a gold identifier.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any, Iterable

from .engine import Deidentifier, Scrubber
from .spans import Span

FUNCTION_WORDS = {"the", "a", "an", "of", "on", "in", "at", "to", "and", "from", "by", "for", "my", "our", "his",
                  "her", "is", "s"}
# Gold PLACE matches predicted CITY or PLACE; a speaker's own name is a PERSON found as CLIENT/THERAPIST.
_SAME_KIND = {"PLACE": {"PLACE", "CITY"}, "PERSON": {"PERSON", "CLIENT", "THERAPIST"}}


def _core_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(r"[A-Za-z0-9@]+", text[start:end]):
        if m.group(0).lower() not in FUNCTION_WORDS:
            out.append((start + m.start(), start + m.end()))
    return out or [(start, end)]


def _covered(ranges: list[tuple[int, int]], spans: list[Span]) -> bool:
    return all(any(sp.start <= a and b <= sp.end for sp in spans) for a, b in ranges)


def score_record(rec: dict[str, Any], spans: list[Span]) -> dict[str, Any]:
    """Per-turn counts: gold found / missed (with text), predicted correct / spurious."""
    text = rec["text"]
    found, typed, missed = [], 0, []
    for g in rec["spans"]:
        ok = _covered(_core_ranges(text, g["start"], g["end"]), spans)
        (found if ok else missed).append(g)
        if ok:
            over = [sp for sp in spans if sp.start < g["end"] and g["start"] < sp.end]
            if any(sp.kind in _SAME_KIND.get(g["type"], {g["type"]}) for sp in over):
                typed += 1
    correct = [sp for sp in spans if any(sp.start < g["end"] and g["start"] < sp.end for g in rec["spans"])]
    spurious = [sp for sp in spans if sp not in correct]
    return {"found": found, "missed": missed, "typed": typed, "correct": len(correct),
            "spurious": [(sp.kind, text[sp.start:sp.end]) for sp in spurious]}


def evaluate(records: Iterable[dict[str, Any]], deid: Deidentifier | None = None,
             use_speaker_names: bool = True) -> dict[str, Any]:
    deid = deid or Deidentifier()
    started = time.time()
    by_type: dict[str, Counter] = {}
    by_style: dict[str, Counter] = {}
    by_split: dict[str, Counter] = {}
    total = Counter()
    misses, spurious = [], []
    records = list(records)
    # Each excerpt is scrubbed as the casebook and the exports scrub one: names learnt over the whole excerpt.
    scrubbers: dict[str, Scrubber] = {}
    for rec in records:
        key = rec.get("excerpt") or rec["id"]
        if key not in scrubbers:
            speakers = rec.get("speakers") if use_speaker_names else []
            scrubbers[key] = deid.scrubber(speakers).learn(
                [r["text"] for r in records if (r.get("excerpt") or r["id"]) == key])
    for rec in records:
        res = score_record(rec, scrubbers[rec.get("excerpt") or rec["id"]].spans(rec["text"]))
        gold_n = len(rec["spans"])
        pred_n = res["correct"] + len(res["spurious"])
        for bucket in (total, by_style.setdefault(rec.get("style", "?"), Counter()),
                       by_split.setdefault(rec.get("split", "?"), Counter())):
            bucket.update(gold=gold_n, found=len(res["found"]), typed=res["typed"], predicted=pred_n,
                          correct=res["correct"])
        for g in rec["spans"]:
            by_type.setdefault(g["type"], Counter())["gold"] += 1
        for g in res["found"]:
            by_type[g["type"]]["found"] += 1
        misses += [{"id": rec["id"], "split": rec.get("split"), "type": g["type"], "text": g["text"]}
                   for g in res["missed"]]
        spurious += [{"id": rec["id"], "split": rec.get("split"), "kind": k, "text": t} for k, t in res["spurious"]]

    def rates(c: Counter) -> dict[str, Any]:
        return {"gold": c["gold"], "found": c["found"],
                "recall": round(c["found"] / c["gold"], 4) if c["gold"] else None,
                "typed_recall": round(c["typed"] / c["gold"], 4) if c["gold"] else None,
                "predicted": c["predicted"],
                "precision": round(c["correct"] / c["predicted"], 4) if c["predicted"] else None}

    return {"overall": rates(total),
            "by_split": {k: rates(v) for k, v in sorted(by_split.items())},
            "by_style": {k: rates(v) for k, v in sorted(by_style.items())},
            "by_type": {k: {"gold": v["gold"], "found": v["found"],
                            "recall": round(v["found"] / v["gold"], 4)} for k, v in sorted(by_type.items())},
            "missed": misses, "spurious": spurious, "seconds": round(time.time() - started, 2)}


def format_report(result: dict[str, Any], show: int = 20) -> str:
    o = result["overall"]
    lines = [f"identifiers: {o['gold']}  removed: {o['found']}  recall: {o['recall']:.3f}  "
             f"(right kind: {o['typed_recall']:.3f})  precision: {o['precision']:.3f}  "
             f"[{result['seconds']:.1f} s]", ""]
    for title, key in (("split", "by_split"), ("style", "by_style")):
        for name, r in result[key].items():
            lines.append(f"  {title} {name:<10} gold {r['gold']:>4}  recall {r['recall'] or 0:.3f}  "
                         f"precision {r['precision'] or 0:.3f}")
    lines.append("")
    for name, r in result["by_type"].items():
        lines.append(f"  {name:<8} gold {r['gold']:>4}  recall {r['recall']:.3f}")
    if show and result["missed"]:
        lines += ["", f"missed ({len(result['missed'])}):"]
        lines += [f"  {m['id']} [{m['type']}] {m['text']!r}" for m in result["missed"][:show]]
    if show and result["spurious"]:
        lines += ["", f"spurious ({len(result['spurious'])}):"]
        lines += [f"  {m['id']} [{m['kind']}] {m['text']!r}" for m in result["spurious"][:show]]
    return "\n".join(lines)
