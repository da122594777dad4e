"""Shared builders for the export and casebook tests (no tests here).

A fictional session with planted identifiers is annotated with the tiny test model; the tiny model's
moments are arbitrary, so the tests replace them with moments written here by hand (with resolutions),
then import the document into a review database and record decisions.
"""
from __future__ import annotations

import json
from pathlib import Path

# Fictional transcript written for these tests: no real client, therapist, place of residence or number.
TRANSCRIPT = """# Fictional session written for the rupture-markers tests. No real person.
# therapist: Dr. Amara Okafor
Dr. Amara Okafor: Hello Maya, it's good to see you. How was the week?
Maya Thompson: Not great. My brother Kieran came down from Glasgow on the 3rd of May and stayed with me.
Dr. Amara Okafor: What was it like having Kieran there?
Maya Thompson: It's fine. Whatever. I don't really want to talk about it.
Dr. Amara Okafor: I notice I might have pushed there. We can go at your pace, Maya.
Maya Thompson: Thanks. It's just that he told Mrs Pickering at Wrexham Road Surgery about my meds.
Dr. Amara Okafor: That sounds like a real breach of trust. Shall we try the breathing exercise again?
Maya Thompson: No. Those exercises are pointless, I told you that last time. Call me on 07700 900461 if you want.
Dr. Amara Okafor: You're right that I keep returning to them. What would be more useful?
Maya Thompson: Talking about Kieran, I suppose. And my nan, she's 93 and lives on Elm Terrace.
Dr. Amara Okafor: Let's start there then.
Maya Thompson: And can we move the sessions to Thursdays? Priyanka at work says I can't leave early.
Dr. Amara Okafor: We can look at the times together.
"""

# Every identifier planted above (and in the reviewers' comments below); none may reach a de-identified output.
PLANTED = ["Maya", "Thompson", "Amara", "Okafor", "Kieran", "Glasgow", "3rd of May", "Pickering", "Wrexham",
           "07700 900461", "Elm Terrace", "Priyanka", "Siobhan", "0161 496 0455", "2024-05-07"]


def _moment(mid, family, subtypes, start, end, significance, resolved, repair, strategies):
    return {"id": mid, "family": family, "subtypes": subtypes, "start_turn": start, "end_turn": end,
            "peak_turn": end, "peak_score": 0.9, "significance": significance, "evidence_turns": [end],
            "start": None, "end": None,
            "resolution": {"attempted": bool(repair), "strategies": strategies, "repair_turns": repair,
                           "tension_fell": resolved, "resolved": resolved}}


# Moments written by hand (the tiny model's own moments are not meaningful).
MOMENTS = [
    _moment("m1", "withdrawal", ["W1"], 3, 3, 3, True, [4], ["acknowledge_contribution"]),
    _moment("m2", "confrontation", ["C3"], 7, 7, 4, True, [8], ["acknowledge_contribution"]),
    _moment("m3", "confrontation", ["C4"], 11, 11, 2, False, [], []),
]


def build_annotations(model_dir: Path, folder: Path) -> Path:
    """Annotate the fictional transcript with the tiny model, put MOMENTS in, write DIR/<stem>.json."""
    from pipeline.annotate import annotate

    src = folder.parent / "maya-thompson-2024-05-07.txt"
    src.write_text(TRANSCRIPT, encoding="utf-8")
    res = annotate([src], model=str(model_dir))
    assert not res.failed, res.failed
    doc = res.documents[0]
    assert [s["role"] for s in doc["session"]["speakers"]] == ["therapist", "client"]
    doc["moments"] = [dict(m) for m in MOMENTS]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "maya-thompson-2024-05-07.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def build_db(folder: Path, db_path: Path) -> Path:
    """Import the folder; alice confirms m1 (comment with planted identifiers), relabels m2, rejects m3."""
    from pipeline.review.db import ReviewDB

    with ReviewDB(db_path) as db:
        counts = db.import_annotations(folder)
        assert not counts["failed"], counts
        sid = db.sessions()[0]["id"]
        by_key = {m["moment_key"]: m["id"] for m in db.moments(sid)}
        db.record_decision(by_key["m1"], "alice", "confirm",
                           comment="Maya shuts down when Kieran comes up; Siobhan (her GP) is on 0161 496 0455.")
        db.record_decision(by_key["m2"], "alice", "relabel", family="confrontation", subtype="C2",
                           comment="Rejects the intervention rather than the task itself.")
        db.record_decision(by_key["m3"], "alice", "reject")
        db.record_decision(by_key["m1"], "bob", "confirm", comment="Clear denial.")
    return db_path
