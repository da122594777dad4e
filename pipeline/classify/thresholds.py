"""Decision thresholds chosen on dev data (stored with the model)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..taxonomy import NONE, Taxonomy
from .base import TurnProbabilities

GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def choose_family_thresholds(probs: TurnProbabilities, items: Sequence[dict[str, Any]], taxonomy: Taxonomy) -> dict[str, float]:
    """Per family, the threshold on P(family) that maximises that family's F1 on dev client items."""
    rows = [i for i, it in enumerate(items) if it["role"] == "client"]
    gold = np.array([items[i]["family"] for i in rows])
    out = {}
    for j, fam in enumerate(taxonomy.families):
        p = probs.family[rows, j + 1] if rows else np.zeros(0)
        is_fam = gold == fam
        best = (0.5, -1.0)
        for thr in GRID:
            pred = p >= thr
            score = _f1(int((pred & is_fam).sum()), int((pred & ~is_fam).sum()), int((~pred & is_fam).sum()))
            if score > best[1] + 1e-9:
                best = (float(thr), score)
        out[fam] = best[0]
    return out


def choose_strategy_threshold(probs: TurnProbabilities, items: Sequence[dict[str, Any]], taxonomy: Taxonomy) -> float:
    """Threshold on P(any strategy) that maximises strategy-vs-none F1 on dev therapist items."""
    rows = [i for i, it in enumerate(items) if it["role"] == "therapist"]
    if not rows:
        return 0.5
    gold = np.array([items[i].get("strategy") not in (None, NONE) for i in rows])
    p_any = 1.0 - probs.strategy[rows, 0]
    best = (0.5, -1.0)
    for thr in GRID:
        pred = p_any >= thr
        score = _f1(int((pred & gold).sum()), int((pred & ~gold).sum()), int((~pred & gold).sum()))
        if score > best[1] + 1e-9:
            best = (float(thr), score)
    return best[0]
