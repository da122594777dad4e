"""Episode-level evaluation of timelines against gold sessions (data/sessions.jsonl).

A gold episode counts as found when a predicted moment of the same family overlaps its turn span
(a `mixed` episode is found by a moment of either family). Precision: predicted moments that overlap
a gold episode of their family. Resolution: for found episodes, does the matched moment's
`resolved` agree with the gold `resolved`?
"""
from __future__ import annotations

from typing import Any, Sequence

from ..model import Session, Speaker, Turn


def gold_session_to_session(gold: dict[str, Any]) -> Session:
    turns = [Turn(index=i, speaker=t["speaker"], text=t["text"], role=t["role"], start=t.get("start"),
                  sentences=[t["text"]]) for i, t in enumerate(gold["turns"])]
    for a, b in zip(turns, turns[1:]):
        if a.start is not None and b.start is not None:
            a.end = b.start
    labels = list(dict.fromkeys(t.speaker for t in turns))
    speakers = [Speaker(label=lab, role=next(t.role for t in turns if t.speaker == lab), role_source="gold")
                for lab in labels]
    return Session(id=gold["id"], turns=turns, speakers=speakers, source=gold.get("source"), format="gold")


def _overlaps(m: dict[str, Any], e: dict[str, Any]) -> bool:
    return m["start_turn"] <= e["last_turn"] and e["first_turn"] <= m["end_turn"]


def _family_ok(m: dict[str, Any], e: dict[str, Any]) -> bool:
    # A coder's mixed episode (as a pseudo-moment) carries both families, as a gold one does.
    return bool(set(m.get("families", [m["family"]])) & set(e.get("families", [e["family"]])))


def match_episodes(docs: Sequence[dict[str, Any]], golds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    found = resolved_ok = n_gold = n_pred = pred_ok = 0
    per_session = []
    for doc, gold in zip(docs, golds):
        moments = doc["moments"]
        episodes = gold["episodes"]
        n_gold += len(episodes)
        n_pred += len(moments)
        s_found = 0
        for e in episodes:
            hits = [m for m in moments if _family_ok(m, e) and _overlaps(m, e)]
            if hits:
                s_found += 1
                best = max(hits, key=lambda m: m["peak_score"])
                resolved_ok += int(bool(best["resolution"]["resolved"]) == bool(e["resolved"]))
        found += s_found
        s_ok = sum(1 for m in moments if any(_family_ok(m, e) and _overlaps(m, e) for e in episodes))
        pred_ok += s_ok
        per_session.append({"session": gold["id"], "gold": len(episodes), "found": s_found, "moments": len(moments),
                            "correct_moments": s_ok})
    return {
        "sessions": len(golds), "gold_episodes": n_gold, "predicted_moments": n_pred,
        "recall": round(found / n_gold, 4) if n_gold else None,
        "precision": round(pred_ok / n_pred, 4) if n_pred else None,
        "resolution_accuracy": round(resolved_ok / found, 4) if found else None,
        "recall_ci95": bootstrap_ci(per_session, "found", "gold"),
        "precision_ci95": bootstrap_ci(per_session, "correct_moments", "moments"),
        "per_session": per_session,
    }


def bootstrap_ci(per_session: Sequence[dict[str, Any]], hits: str, total: str, draws: int = 2000,
                 seed: int = 0) -> list[float] | None:
    """95% interval of sum(hits) / sum(total) when whole sessions are resampled with replacement.

    Episodes in one session are not independent (one speaker, one model behaviour), so sessions
    are the unit. With 10-20 gold episodes one episode moves recall by 0.05-0.1; the interval says
    how far apart two figures must be before the difference means anything."""
    import numpy as np

    h = np.array([s[hits] for s in per_session], dtype=float)
    t = np.array([s[total] for s in per_session], dtype=float)
    if len(per_session) < 2 or t.sum() == 0:
        return None
    idx = np.random.default_rng(seed).integers(0, len(per_session), size=(draws, len(per_session)))
    num, den = h[idx].sum(1), t[idx].sum(1)
    ratios = num[den > 0] / den[den > 0]
    return [round(float(np.percentile(ratios, 2.5)), 4), round(float(np.percentile(ratios, 97.5)), 4)]


def format_interval(ci: Sequence[float] | None) -> str:
    """A 95% interval as printed by `rupture evaluate` and the model card: "[0.61, 1.00]", or "-"."""
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "-"


def episodes_as_moments(session: dict[str, Any]) -> list[dict[str, Any]]:
    """A coder's episodes in the shape of predicted moments, so that `match_episodes` scores one
    coder against another exactly as it scores the model (a mixed episode matches either family)."""
    return [{"family": e["family"], "families": e.get("families", [e["family"]]), "start_turn": e["first_turn"],
             "end_turn": e["last_turn"], "peak_score": 1.0, "resolution": {"resolved": bool(e["resolved"])}}
            for e in session["episodes"]]


def coder_agreement(first: Sequence[dict[str, Any]], second: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The second coder's episodes scored against the first's: recall = first coder's episodes the
    second also marked, precision = second coder's episodes the first also marked, resolution =
    agreement on resolved/unresolved where both marked it. Sessions the second coder did not code
    are left out."""
    by_id = {s["id"]: s for s in second}
    pairs = [(g, by_id[g["id"]]) for g in first if g["id"] in by_id]
    return match_episodes([{"moments": episodes_as_moments(b)} for _, b in pairs], [a for a, _ in pairs])


def confirmed_by_either(docs: Sequence[dict[str, Any]], first: Sequence[dict[str, Any]],
                        second: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Predicted moments that overlap an episode of their family marked by at least one of two coders."""
    by_id = {s["id"]: s for s in second}
    either = [dict(g, episodes=list(g["episodes"]) + list(by_id.get(g["id"], {}).get("episodes", []))) for g in first]
    res = match_episodes(docs, either)
    return {"moments": res["predicted_moments"], "confirmed": sum(s["correct_moments"] for s in res["per_session"]),
            "precision": res["precision"]}


def annotate_golds(classifier, golds: Sequence[dict[str, Any]], timeline=None) -> list[dict[str, Any]]:
    """The classifier's documents for gold sessions, in their order."""
    from ..annotate import annotate_sessions

    return annotate_sessions([gold_session_to_session(g) for g in golds], classifier, timeline)


def evaluate_episodes(classifier, golds: Sequence[dict[str, Any]], timeline=None) -> dict[str, Any]:
    return match_episodes(annotate_golds(classifier, golds, timeline), golds) if golds else {}
