"""Agreement between the tool's 3RS segment grid and human segment codes.

Gold CSV: session, segment (1-based, as coders number them), then one column per family with the
significance 0-5 (0 or blank = absent). Metrics per family: Cohen's kappa and precision/recall on
presence, ICC(2,1) (two-way random, absolute agreement, single rater) on significance.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import InputError, UserError
from .io import atomic_write_text


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0:
        return None
    labels = np.union1d(a, b)
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == lab) * np.mean(b == lab) for lab in labels))
    if pe == 1.0:
        return 1.0 if po == 1.0 else 0.0
    return round((po - pe) / (1 - pe), 4)


def icc_2_1(*ratings: Sequence[float]) -> float | None:
    """Shrout & Fleiss ICC(2,1): two-way random effects, absolute agreement, single rater.

    Each argument is one rater's scores over the same targets."""
    data = np.column_stack([np.asarray(r, float) for r in ratings])
    n, k = data.shape
    if n < 2 or k < 2:
        return None
    grand = data.mean()
    ss_rows = k * ((data.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((data.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((data - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    if denom == 0:
        return 1.0 if ss_total == 0 else None
    return round(float((msr - mse) / denom), 4)


def read_gold(path: Path, families: Sequence[str]) -> dict[tuple[str, int], dict[str, int]]:
    if not path.exists():
        raise InputError(path, "no such file")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        missing = [c for c in ("session", "segment", *families) if c not in cols]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}; needs session, segment, "
                                   f"{', '.join(families)}", line=1)
        gold = {}
        for row in reader:
            try:
                seg = int(row["segment"])
                vals = {f: int(row[f] or 0) for f in families}
            except ValueError:
                raise InputError(path, "segment and significance must be whole numbers", line=reader.line_num) from None
            if seg < 1 or any(not 0 <= v <= 5 for v in vals.values()):
                raise InputError(path, "segments are numbered from 1; significance is 0-5", line=reader.line_num)
            gold[(row["session"], seg)] = vals
    return gold


def read_predictions(pred_dir: Path) -> dict[str, dict[str, Any]]:
    if not pred_dir.is_dir():
        raise InputError(pred_dir, "not a folder of annotations (run rupture annotate first)")
    docs = {}
    for path in sorted(pred_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and "segments" in doc:
            docs[doc["session"]["id"]] = doc
            docs.setdefault(path.stem, doc)
    return docs


def agreement(gold: dict[tuple[str, int], dict[str, int]], docs: dict[str, dict[str, Any]],
              families: Sequence[str]) -> dict[str, Any]:
    missing = sorted({s for s, _ in gold if s not in docs})
    keys = sorted(k for k in gold if k[0] in docs)
    result: dict[str, Any] = {"n_segments": len(keys), "sessions": len({s for s, _ in keys}),
                              "sessions_without_predictions": missing, "families": {}, "disagreements": []}
    pred = {}
    for s, seg in keys:
        segs = docs[s]["segments"]
        row = segs[seg - 1] if seg - 1 < len(segs) else {}
        pred[(s, seg)] = {f: int(row.get(f, 0) or 0) for f in families}
    for f in families:
        g = [gold[k][f] for k in keys]
        p = [pred[k][f] for k in keys]
        gp, pp = [int(v > 0) for v in g], [int(v > 0) for v in p]
        tp = sum(1 for a, b in zip(gp, pp) if a and b)
        result["families"][f] = {
            "kappa_presence": cohen_kappa(gp, pp), "icc_significance": icc_2_1(g, p),
            "precision": round(tp / sum(pp), 4) if sum(pp) else None,
            "recall": round(tp / sum(gp), 4) if sum(gp) else None,
            "gold_present": sum(gp), "pred_present": sum(pp)}
    for k in keys:
        diffs = {f: (gold[k][f], pred[k][f]) for f in families
                 if (gold[k][f] > 0) != (pred[k][f] > 0) or abs(gold[k][f] - pred[k][f]) >= 2}
        if diffs:
            result["disagreements"].append({"session": k[0], "segment": k[1],
                                            **{f: {"gold": a, "pred": b} for f, (a, b) in diffs.items()}})
    return result


def run_agreement_cli(args) -> int:
    docs = read_predictions(Path(args.pred))
    if not docs:
        raise UserError(f"{args.pred}: no annotation JSON files found")
    families = next(iter(docs.values()))["families"]
    res = agreement(read_gold(Path(args.gold), families), docs, families)
    if res["n_segments"] == 0:
        raise UserError(f"{args.gold}: none of its sessions are in {args.pred} "
                        f"(missing: {', '.join(res['sessions_without_predictions'][:5])})")
    print(f"{res['n_segments']} segments in {res['sessions']} sessions")
    for f, m in res["families"].items():
        print(f"{f:>14}: kappa {m['kappa_presence']}, ICC(2,1) {m['icc_significance']}, precision {m['precision']}, "
              f"recall {m['recall']} (gold present {m['gold_present']}, tool present {m['pred_present']})")
    print(f"{len(res['disagreements'])} segments disagree")
    for d in res["disagreements"][:20]:
        print(f"  {d['session']} segment {d['segment']}: " + ", ".join(
            f"{f} gold {v['gold']} tool {v['pred']}" for f, v in d.items() if isinstance(v, dict)))
    if res["sessions_without_predictions"]:
        print("warning: no predictions for: " + ", ".join(res["sessions_without_predictions"]), file=sys.stderr)
    if args.out:
        atomic_write_text(args.out, json.dumps(res, indent=2))
    return 0
