"""Metrics: per-label precision/recall/F1, macro-F1, confusion matrices, ROC-AUC, calibration error."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .classify.base import TurnDecision, TurnProbabilities
from .classify.calibration import expected_calibration_error
from .taxonomy import NONE, Taxonomy


def per_label_prf(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": tp + fn}
    return out


def macro_f1(prf: dict[str, dict[str, float]], labels: Sequence[str] | None = None) -> float:
    labels = [lab for lab in (labels or prf) if prf[lab]["support"] > 0]
    return round(float(np.mean([prf[lab]["f1"] for lab in labels])), 4) if labels else 0.0


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    idx = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        if g in idx and p in idx:
            m[idx[g]][idx[p]] += 1
    return m


def roc_auc(y_true: Sequence[int], scores: Sequence[float]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    # average ranks for ties
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = ranks[: len(pos)].sum()
    return round(float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))), 4)


def evaluate_predictions(items: Sequence[dict[str, Any]], probs: TurnProbabilities, decisions: Sequence[TurnDecision],
                         taxonomy: Taxonomy) -> dict[str, Any]:
    """All metrics for one classifier on one set of turn items."""
    client = [i for i, it in enumerate(items) if it["role"] == "client"]
    therapist = [i for i, it in enumerate(items) if it["role"] == "therapist"]
    res: dict[str, Any] = {"n_client": len(client), "n_therapist": len(therapist)}
    if client:
        gold = [items[i]["family"] for i in client]
        pred = [decisions[i].family for i in client]
        fam_labels = list(taxonomy.family_labels)
        prf = per_label_prf(gold, pred, fam_labels)
        res["family"] = {"per_label": prf, "macro_f1": macro_f1(prf), "confusion": {"labels": fam_labels,
                         "matrix": confusion(gold, pred, fam_labels)},
                         "accuracy": round(float(np.mean([g == p for g, p in zip(gold, pred)])), 4)}
        fam_idx = {f: i for i, f in enumerate(fam_labels)}
        y_fam = np.array([fam_idx[g] for g in gold])
        res["family"]["ece"] = round(expected_calibration_error(probs.family[client], y_fam), 4)
        rupture_score = 1.0 - probs.family[client, 0]
        res["rupture_vs_none_auc"] = roc_auc([int(g != NONE) for g in gold], rupture_score)
        # Subtype given a (gold) rupture: which 3RS code, from the subtype head.
        rup = [i for i in client if items[i]["family"] != NONE]
        if rup:
            gsub = [items[i]["subtype"] for i in rup]
            psub = [taxonomy.subtypes[int(np.argmax(probs.subtype[i]))] for i in rup]
            sprf = per_label_prf(gsub, psub, taxonomy.subtypes)
            res["subtype"] = {"per_label": sprf, "macro_f1": macro_f1(sprf),
                              "confusion": {"labels": list(taxonomy.subtypes), "matrix": confusion(gsub, psub, taxonomy.subtypes)}}
            # End to end: the family decision and subtype together.
            e2e_gold = [items[i]["subtype"] or NONE for i in client]
            e2e_pred = [decisions[i].subtype or NONE for i in client]
            eprf = per_label_prf(e2e_gold, e2e_pred, taxonomy.subtypes)
            res["subtype_end_to_end_macro_f1"] = macro_f1(eprf)
        hard = [i for i in client if items[i].get("hard_negative")]
        if hard:
            fp = [i for i in hard if decisions[i].family != NONE]
            by_cat: dict[str, list[int]] = {}
            for i in hard:
                by_cat.setdefault(items[i]["hard_negative"], []).append(int(decisions[i].family != NONE))
            res["hard_negatives"] = {"n": len(hard), "false_positive_rate": round(len(fp) / len(hard), 4),
                                     "by_category": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_cat.items())}}
        by_style = {}
        for style in sorted({items[i].get("style", "clean") for i in client}):
            rows = [i for i in client if items[i].get("style", "clean") == style]
            sp = per_label_prf([items[i]["family"] for i in rows], [decisions[i].family for i in rows], fam_labels)
            by_style[style] = {"n": len(rows), "family_macro_f1": macro_f1(sp)}
        res["by_style"] = by_style
    if therapist:
        gold = [items[i].get("strategy") or NONE for i in therapist]
        pred = [decisions[i].strategy or NONE for i in therapist]
        labels = list(taxonomy.strategy_labels)
        sprf = per_label_prf(gold, pred, labels)
        res["strategy"] = {"per_label": sprf, "macro_f1": macro_f1(sprf),
                           "confusion": {"labels": labels, "matrix": confusion(gold, pred, labels)}}
    return res


def evaluate_classifier(clf, items: Sequence[dict[str, Any]], taxonomy: Taxonomy, **kwargs) -> dict[str, Any]:
    probs = clf.predict_proba(items, **kwargs)
    return evaluate_predictions(items, probs, clf.decide(probs), taxonomy)


def summary_row(name: str, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": name,
        "family_macro_f1": m.get("family", {}).get("macro_f1"),
        "subtype_macro_f1": m.get("subtype", {}).get("macro_f1"),
        "rupture_auc": m.get("rupture_vs_none_auc"),
        "strategy_macro_f1": m.get("strategy", {}).get("macro_f1"),
        "family_ece": m.get("family", {}).get("ece"),
        "hard_neg_fpr": m.get("hard_negatives", {}).get("false_positive_rate"),
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    cells = [[("" if r[c] is None else (f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]))) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    return "\n".join([line, "  ".join("-" * w for w in widths)] +
                     ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells])
