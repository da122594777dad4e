"""`rupture export-reviews`: reviewer decisions as corpus turn items that load and train."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.corpus.schema import load_items
from pipeline.review.db import ReviewDB
from review_helpers import ROOT, build_review_folder


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, tiny_model_dir):
    """A database where ana confirmed, relabelled and rejected a moment each, ben rejected one, ana added one."""
    folder = build_review_folder(tmp_path_factory.mktemp("review-export"), tiny_model_dir)
    path = folder / "reviews.sqlite"
    with ReviewDB(path) as db:
        db.import_annotations(folder)
        ms = db.moments("sample-session")
        db.record_decision(ms[0]["id"], "ana", "confirm")
        db.record_decision(ms[1]["id"], "ana", "relabel", family="confrontation", subtype="C4")
        db.record_decision(ms[2]["id"], "ana", "reject")
        db.record_decision(ms[0]["id"], "ben", "reject")
        db.record_decision(ms[2]["id"], "ben", "comment", comment="no verdict yet")  # no verdict: not exported
        doc = db.session("payload-session")["document"]
        turn = [t["index"] for t in doc["turns"] if t["role"] == "client"][-1]
        db.add_moment("payload-session", "ana", "withdrawal", "W5", turn, turn)
        decisions = {(d["moment_id"], d["reviewer"]): d for d in db.decisions()}
    return path, ms, decisions


def _client_turns_in_span(db_path, d) -> list[int]:
    with ReviewDB(db_path) as db:
        turns = db.session(d["session_id"])["document"]["turns"]
    return [t["index"] for t in turns[d["start_turn"]:d["end_turn"] + 1] if t["role"] == "client" and t["index"] > 0]


def test_review_export_writes_items_that_load_with_load_items(reviewed, tmp_path, capsys):
    path, ms, decisions = reviewed
    out = tmp_path / "reviews.jsonl"
    assert main(["export-reviews", "--db", str(path), "--out", str(out)]) == 0
    assert "transcript text" in capsys.readouterr().out
    items, problems = load_items(out)
    assert problems == [] and items
    assert all(i["role"] == "client" and 1 <= len(i["context"]) <= 4 for i in items)
    by_source: dict[str, list[dict]] = {}
    for i in items:
        by_source.setdefault(i["source"], []).append(i)
    assert {i["family"] for i in by_source["review:ana:rejected"] + by_source["review:ben:rejected"]} == {"none"}
    assert {(i["family"], i["subtype"]) for i in by_source["review:ana:relabelled"]} == {("confrontation", "C4")}
    confirmed = decisions[(ms[0]["id"], "ana")]
    assert {(i["family"], i["subtype"]) for i in by_source["review:ana:confirmed"]} >= \
        {(confirmed["family"], confirmed["subtype"])}
    # One item per client turn of the effective span (turn 0 has no context and is left out).
    expected = sum(len(_client_turns_in_span(path, d)) for d in decisions.values() if d["verdict"])
    assert len(items) == expected
    raw = [json.loads(line) for line in out.read_text().splitlines()]
    assert len({r["id"] for r in raw}) == len(raw)


def test_review_export_for_one_reviewer(reviewed, tmp_path):
    path, _, _ = reviewed
    out = tmp_path / "ben.jsonl"
    assert main(["export-reviews", "--db", str(path), "--out", str(out), "--reviewer", "ben"]) == 0
    items, _ = load_items(out)
    assert items and {i["source"] for i in items} == {"review:ben:rejected"}
    assert main(["export-reviews", "--db", str(tmp_path / "missing.sqlite"), "--out", str(out)]) == 2


def test_review_export_feeds_training_as_extra_train(reviewed, tmp_path):
    from pipeline.classify.train import gather_items
    from pipeline.taxonomy import load_taxonomy

    path, _, _ = reviewed
    out = tmp_path / "reviews.jsonl"
    assert main(["export-reviews", "--db", str(path), "--out", str(out)]) == 0
    exported = {i["id"] for i in load_items(out)[0]}
    cfg = {"data": {"turns": str(ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl"), "extra_train": [str(out)]}}
    splits = gather_items(cfg, load_taxonomy())
    assert exported <= {i["id"] for i in splits["train"]}
