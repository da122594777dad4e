"""External sanity check on real speech: AnnoMI (133 real MI demonstration sessions, no rupture labels).

Low-quality MI (confrontational, directive counselling) should draw more client tension than
high-quality MI, and sustain talk should score higher than change talk. Neither is a rupture label;
this only checks that the model's scores move the right way on real transcribed speech.

    .venv/bin/python scripts/annomi_sanity.py [--model default] [--annomi ../shared/external/annomi/annomi.csv]
"""
from __future__ import annotations

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path

from pipeline.annotate import annotate_sessions
from pipeline.classify.registry import load_classifier
from pipeline.model import Session, Speaker, Turn
from pipeline.roles import assign_roles


def load_annomi(path: Path) -> tuple[list[Session], dict[str, str], dict[tuple[str, int], str]]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows[row["transcript_id"]].append(row)
    sessions, quality, talk = [], {}, {}
    for tid, rs in rows.items():
        rs.sort(key=lambda r: int(r["utterance_id"]))
        turns: list[Turn] = []
        for r in rs:
            if turns and turns[-1].speaker == r["interlocutor"]:
                turns[-1].text += " " + r["utterance_text"]
                continue
            turns.append(Turn(index=len(turns), speaker=r["interlocutor"], text=r["utterance_text"]))
            if r["interlocutor"] == "client":
                talk[(tid, turns[-1].index)] = r["client_talk_type"]
        s = Session(id=tid, turns=turns, speakers=[], source=str(path))
        assign_roles(s)
        sessions.append(s)
        quality[tid] = rs[0]["mi_quality"]
    return sessions, quality, talk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--annomi", default=str(Path(__file__).resolve().parents[2] / "shared" / "external" / "annomi" / "annomi.csv"))
    args = ap.parse_args()
    sessions, quality, talk = load_annomi(Path(args.annomi))
    clf = load_classifier(args.model)
    docs = annotate_sessions(sessions, clf)
    by_q: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_talk: dict[str, list[float]] = defaultdict(list)
    for doc in docs:
        q = quality[doc["session"]["id"]]
        client = [t for t in doc["turns"] if t["role"] == "client"]
        for fam in doc["families"]:
            by_q[q][f"flagged_{fam}"].append(sum(t["label"] == fam for t in client) / max(1, len(client)))
        by_q[q]["moments_per_100_turns"].append(100 * len(doc["moments"]) / max(1, len(doc["turns"])))
        for t in client:
            tt = talk.get((doc["session"]["id"], t["index"]))
            if tt:
                by_talk[tt].append(t["scores"]["confrontation"] + t["scores"]["withdrawal"])
    print(f"AnnoMI: {len(docs)} sessions ({sum(1 for q in quality.values() if q == 'high')} high-quality MI, "
          f"{sum(1 for q in quality.values() if q == 'low')} low-quality)")
    for q in ("high", "low"):
        print(f"  {q:>4}-quality MI: " + ", ".join(f"{k} {statistics.mean(v):.3f}" for k, v in by_q[q].items()))
    for tt, v in sorted(by_talk.items()):
        print(f"  client {tt:>7} talk: mean P(rupture) {statistics.mean(v):.3f} (n={len(v)})")


if __name__ == "__main__":
    main()
