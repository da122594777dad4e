"""Agreement between reviewers on the moments two or more of them judged.

Per reviewer pair: the moments both gave a verdict on, percent agreement and Cohen's kappa on
confirm (confirmed or relabelled) versus reject, and, on the moments both confirmed, how often
their effective family and subtype match.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable

from ..agreement import cohen_kappa

POSITIVE = ("confirmed", "relabelled")


def agreement_report(decisions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    by_moment: dict[int, dict[str, dict[str, Any]]] = {}
    for d in decisions:
        if d.get("verdict"):
            by_moment.setdefault(d["moment_id"], {})[d["reviewer"]] = d
    shared = {m: r for m, r in by_moment.items() if len(r) >= 2}
    reviewers = sorted({name for r in shared.values() for name in r})
    pairs = []
    for a, b in combinations(reviewers, 2):
        both = [(r[a], r[b]) for r in shared.values() if a in r and b in r]
        if not both:
            continue
        ya = [int(x["verdict"] in POSITIVE) for x, _ in both]
        yb = [int(y["verdict"] in POSITIVE) for _, y in both]
        agree = sum(p == q for p, q in zip(ya, yb))
        confirmed_both = [(x, y) for x, y in both if x["verdict"] in POSITIVE and y["verdict"] in POSITIVE]
        same_label = sum((x["family"], x["subtype"]) == (y["family"], y["subtype"]) for x, y in confirmed_both)
        pairs.append({
            "reviewers": [a, b], "n": len(both),
            "percent_agreement": round(100.0 * agree / len(both), 1),
            "kappa": cohen_kappa(ya, yb),
            "confirmed": {a: sum(ya), b: sum(yb)},
            "both_confirmed": len(confirmed_both),
            "label_agreement": round(100.0 * same_label / len(confirmed_both), 1) if confirmed_both else None,
        })
    return {"moments_multi_reviewed": len(shared), "reviewers": reviewers, "pairs": pairs,
            "note": "kappa and percent agreement on confirm (confirmed or relabelled) vs reject, per reviewer pair; "
                    "label_agreement: same family and subtype among moments both confirmed"}
