"""What a reviewer-added moment gets from its session document: peak, evidence and resolution.

The resolution is computed as the timeline computes it for model moments (same window, same
tension threshold from the document's parameters), so casebook entries read the same for both.
"""
from __future__ import annotations

import json
from typing import Any

from ..timeline.moments import TimelineConfig, TurnScore, _resolution


def _turn_scores(doc: dict[str, Any]) -> list[TurnScore]:
    return [TurnScore(t["index"], t["role"], {k: v for k, v in (t.get("scores") or {}).items() if v is not None},
                      t.get("subtype"), {}, t.get("strategy"), t.get("start"), t.get("end"))
            for t in doc["turns"]]


def reviewer_moment_fields(doc: dict[str, Any], family: str, subtype: str, start_turn: int,
                           end_turn: int) -> dict[str, Any]:
    """Moment columns for a span a reviewer marked (JSON columns serialised)."""
    turns = _turn_scores(doc)
    params = doc.get("parameters") or {}
    high = (params.get("high") or {}).get(family, 0.5)
    cfg = TimelineConfig(high=high, low_ratio=float(params.get("low_ratio", 0.6)))
    client = [t for t in turns if start_turn <= t.index <= end_turn and t.role == "client"]
    peak = max(client, key=lambda t: t.scores.get(family, 0.0), default=None)
    resolution = _resolution(turns, family, start_turn, end_turn, cfg.high_for(family) * cfg.low_ratio, cfg)
    return {"family": family, "subtypes": json.dumps([subtype]), "start_turn": start_turn, "end_turn": end_turn,
            "peak_turn": peak.index if peak else None,
            "peak_score": round(peak.scores.get(family, 0.0), 4) if peak else None, "significance": None,
            "evidence_turns": json.dumps([t.index for t in client]),
            "resolution": json.dumps(resolution, sort_keys=True)}
