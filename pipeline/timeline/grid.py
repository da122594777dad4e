"""The 3RS segment grid (5-minute segments, or blocks of turns) and the session summary."""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from .moments import Moment, TimelineConfig, TurnScore


def _segment_of_turns(turns: Sequence[TurnScore], cfg: TimelineConfig) -> tuple[str, dict[int, int], int]:
    timed = [t for t in turns if t.start is not None]
    if timed and len(timed) >= len(turns) * 0.8:
        seg: dict[int, int] = {}
        last = 0
        for t in turns:
            if t.start is not None:
                last = int(t.start // cfg.segment_seconds)
            seg[t.index] = last
        return "time", seg, (max(seg.values()) + 1 if seg else 0)
    seg = {t.index: k // cfg.segment_turns for k, t in enumerate(turns)}
    return "turns", seg, (max(seg.values()) + 1 if seg else 0)


def build_grid(turns: Sequence[TurnScore], moments: Sequence[Moment], families: Sequence[str],
               cfg: TimelineConfig) -> list[dict[str, Any]]:
    """One row per segment: its span and, per family, significance 0 (absent) to 5."""
    unit, seg_of, n = _segment_of_turns(turns, cfg)
    rows = []
    for k in range(n):
        members = [t.index for t in turns if seg_of[t.index] == k]
        row: dict[str, Any] = {"segment": k, "unit": unit,
                               "first_turn": min(members) if members else None,
                               "last_turn": max(members) if members else None}
        if unit == "time":
            row["start"], row["end"] = k * cfg.segment_seconds, (k + 1) * cfg.segment_seconds
        else:
            row["start"] = row["end"] = None
        for fam in families:
            sig = 0
            for m in moments:
                if m.family == fam and any(seg_of.get(i) == k for i in m.evidence_turns):
                    sig = max(sig, m.significance)
            row[fam] = sig
        rows.append(row)
    return rows


def summarise(moments: Sequence[Moment], grid: Sequence[dict[str, Any]], families: Sequence[str]) -> dict[str, Any]:
    by_family = Counter(m.family for m in moments)
    by_subtype = Counter(code for m in moments for code in m.subtypes[:1])
    with_rupture = sum(1 for row in grid if any(row[f] > 0 for f in families))
    first = moments[0] if moments else None
    return {
        "n_moments": len(moments),
        "by_family": {f: by_family.get(f, 0) for f in families},
        "by_subtype": dict(sorted(by_subtype.items())),
        "segments": len(grid),
        "segments_with_rupture": with_rupture,
        "proportion_segments_with_rupture": round(with_rupture / len(grid), 4) if grid else 0.0,
        "resolved": sum(1 for m in moments if m.resolution["resolved"]),
        "unresolved": sum(1 for m in moments if not m.resolution["resolved"]),
        "first_rupture_turn": first.start_turn if first else None,
        "first_rupture_time": first.start if first else None,
        "max_significance": max((m.significance for m in moments), default=0),
    }
