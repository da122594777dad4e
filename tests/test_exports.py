"""Exports: Label Studio tasks (validated, round trip into the review DB) and ELAN files (read with pympi)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.deid import Deidentifier
from pipeline.deid.documents import document_view, session_ref
from pipeline.exports.elan import session_eaf, turn_times
from pipeline.exports.labelstudio import labeling_config, session_task, validate_task
from pipeline.review.db import ReviewDB
from pipeline.taxonomy import load_taxonomy
from test_exports_helpers import MOMENTS, PLANTED, build_annotations, build_db

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"


@pytest.fixture(scope="module")
def annotated(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports") / "annotations"
    build_annotations(tiny_model_dir, folder)
    return folder


@pytest.fixture
def db_path(annotated, tmp_path):
    return build_db(annotated, tmp_path / "reviews.sqlite")


@pytest.fixture(scope="module")
def doc(annotated):
    return json.loads(next(annotated.glob("*.json")).read_text())


def _leaks(text: str) -> list[str]:
    return [p for p in PLANTED if p.lower() in text.lower()]


def test_exports_labelstudio_schema_accepts_documented_fixture_and_rejects_broken_tasks():
    documented = json.loads((FIXTURES / "documented_paragraphs_task.json").read_text())
    assert validate_task(documented) == []
    broken = copy.deepcopy(documented)
    del broken["annotations"][0]["result"][0]["value"]["paragraphlabels"]
    assert any("paragraphlabels" in p for p in validate_task(broken))
    assert validate_task({"predictions": []})  # no data


def test_exports_labelstudio_task_matches_config_and_is_deidentified(doc):
    tax = load_taxonomy()
    view = document_view(doc, Deidentifier())
    task = session_task(view, tax)
    config = labeling_config(tax, view["notice"])
    assert validate_task(task, config) == []
    assert len(task["data"]["dialogue"]) == len(doc["turns"])
    regions = task["predictions"][0]["result"]
    assert [r["id"] for r in regions] == [m["id"] for m in MOMENTS]
    assert regions[0]["value"]["paragraphlabels"] == ["withdrawal", "W1 Denial"]
    assert (regions[1]["value"]["start"], regions[1]["value"]["end"]) == ("7", "7")
    assert task["data"]["session_ref"] == session_ref(doc["session"]["id"])
    assert {p["author"] for p in task["data"]["dialogue"]} == {"Therapist", "Client"}
    assert _leaks(json.dumps(task)) == []
    assert "de-identified" in task["data"]["notice"]
    # The config's labels and a wrong label are checked against each other.
    task["predictions"][0]["result"][0]["value"]["paragraphlabels"] = ["W9 Unknown"]
    assert any("not in the config" in p for p in validate_task(task, config))


def _annotated_export(tasks: list[dict]) -> list[dict]:
    """What Label Studio exports after an annotator worked from the pre-annotations: m1 kept (with a
    comment), m2 relabelled to C7 and stretched to turn 9, m3 deleted, and a new W2 region at turns 9-9."""
    out = copy.deepcopy(tasks)
    task = out[0]
    task["id"] = 17
    regions = {r["id"]: r for r in task["predictions"][0]["result"]}
    m1, m2 = copy.deepcopy(regions["m1"]), copy.deepcopy(regions["m2"])
    m2["value"]["paragraphlabels"] = ["confrontation", "C7 Efforts to control or pressure"]
    m2["value"]["end"] = "9"
    comment = {"id": "m1", "from_name": "comment", "to_name": "dialogue", "type": "textarea",
               "value": {"start": "3", "end": "3", "startOffset": 0, "endOffset": 5, "text": ["Textbook denial."]}}
    new = {"id": "Xk2Pq9", "from_name": "marker", "to_name": "dialogue", "type": "paragraphlabels",
           "origin": "manual", "value": {"start": "9", "end": "9", "startOffset": 0, "endOffset": 10,
                                         "paragraphlabels": ["W2 Minimal response"]}}
    task["annotations"] = [{"id": 1, "completed_by": {"id": 3, "email": "carol@clinic.example"},
                            "was_cancelled": False, "result": [m1, comment, m2, new]},
                           {"id": 2, "completed_by": 4, "was_cancelled": True, "result": []}]
    return out


def test_exports_labelstudio_round_trip_into_review_decisions(db_path, tmp_path, capsys):
    out = tmp_path / "ls"
    assert main(["export", "--db", str(db_path), "--format", "labelstudio", "--out", str(out)]) == 0
    tasks = json.loads((out / "tasks.json").read_text())
    assert _leaks((out / "tasks.json").read_text()) == []
    export = tmp_path / "project-1-export.json"
    export.write_text(json.dumps(_annotated_export(tasks)))
    assert main(["import-labelstudio", "--db", str(db_path), str(export)]) == 0
    assert "1 confirmed, 1 rejected, 1 relabelled, 1 span(s) adjusted, 1 moment(s) added" in capsys.readouterr().out
    assert main(["import-labelstudio", "--db", str(db_path), str(export)]) == 0  # twice: no duplicates
    with ReviewDB(db_path) as db:
        sid = db.sessions()[0]["id"]
        moments = {m["moment_key"]: m for m in db.moments(sid)}
        carol = "labelstudio:carol@clinic.example"
        mine = {k: next((d for d in m["decisions"] if d["reviewer"] == carol), None) for k, m in moments.items()}
        assert mine["m1"]["verdict"] == "confirmed" and mine["m1"]["comment"] == "Textbook denial."
        assert (mine["m2"]["verdict"], mine["m2"]["subtype"], mine["m2"]["end_turn"]) == ("relabelled", "C7", 9)
        assert mine["m3"]["verdict"] == "rejected"
        added = [m for m in moments.values() if m["origin"] == "reviewer"]
        assert [(m["family"], m["subtype"], m["start_turn"], m["end_turn"]) for m in added] == \
            [("withdrawal", "W2", 9, 9)]
        # alice's earlier decisions are untouched.
        alice = next(d for d in moments["m3"]["decisions"] if d["reviewer"] == "alice")
        assert alice["verdict"] == "rejected"


def test_exports_labelstudio_import_reports_unknown_sessions_and_bad_files(db_path, tmp_path, capsys):
    export = tmp_path / "other.json"
    export.write_text(json.dumps([{"data": {"dialogue": [{"author": "A", "text": "x"}], "session_ref": "nope"},
                                   "annotations": []}, {"no": "data"}]))
    assert main(["import-labelstudio", "--db", str(db_path), str(export)]) == 1
    err = capsys.readouterr().err
    assert "not in the review database" in err and "not a Label Studio task" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["import-labelstudio", "--db", str(db_path), str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_exports_no_deid_keeps_the_text(annotated, tmp_path, capsys):
    out = tmp_path / "raw"
    assert main(["export", "--annotations", str(annotated), "--format", "labelstudio", "--out", str(out),
                 "--no-deid"]) == 0
    text = (out / "tasks.json").read_text()
    assert "Kieran" in text and "NOT de-identified" in text
    assert "identifiable" in capsys.readouterr().err


def test_exports_elan_file_opens_with_pympi(annotated, doc, tmp_path):
    from pympi.Elan import Eaf

    out = tmp_path / "elan"
    assert main(["export", "--annotations", str(annotated), "--format", "elan", "--out", str(out)]) == 0
    files = list(out.glob("*.eaf"))
    assert len(files) == 1 and "maya" not in files[0].name.lower()
    assert _leaks(files[0].read_text()) == []
    eaf = Eaf(str(files[0]))
    tiers = set(eaf.get_tier_names())
    assert {"Therapist", "Client", "withdrawal", "withdrawal subtypes", "withdrawal significance",
            "confrontation", "confrontation subtypes", "confrontation significance", "notes"} <= tiers
    client = eaf.get_annotation_data_for_tier("Client")
    therapist = eaf.get_annotation_data_for_tier("Therapist")
    assert len(client) + len(therapist) == len(doc["turns"])
    assert all(start < end for start, end, _ in client + therapist)
    assert [a[2] for a in eaf.get_annotation_data_for_tier("withdrawal subtypes")] == ["W1 Denial"]
    assert [a[2] for a in eaf.get_annotation_data_for_tier("confrontation significance")] == \
        ["4; resolved", "2; unresolved"]
    # The transcript had no timestamps: the times are synthesised and the file says so.
    assert "synthesised" in dict(eaf.properties)["rupture:timing"]
    assert "synthesised" in eaf.get_annotation_data_for_tier("notes")[0][2]
    # Turn 3 (the W1 moment) and the withdrawal annotation share their times.
    w = eaf.get_annotation_data_for_tier("withdrawal")[0]
    assert (w[0], w[1]) in [(s, e) for s, e, _ in client]


def test_exports_elan_keeps_recorded_times_and_estimates_missing_ends():
    turns = [{"text": "a b c", "start": 1.0, "end": 2.5}, {"text": "d e", "start": 3.0, "end": None},
             {"text": "f", "start": 4.0, "end": None}]
    times, how = turn_times(turns)
    assert how == "partly estimated"
    assert times == [(1000, 2500), (3000, 4000), (4000, 5000)]
    times, how = turn_times([{"text": "one two three", "start": None, "end": None}] * 2)
    assert how == "synthesised" and times[0][1] <= times[1][0]


def test_exports_elan_leaves_out_overlapping_moments_of_one_family(doc):
    view = document_view(doc, None)
    view["moments"] = [dict(MOMENTS[0], start_turn=1, end_turn=5), dict(MOMENTS[0], id="m9", start_turn=3, end_turn=4)]
    eaf = session_eaf(view, load_taxonomy())
    assert len(eaf.get_annotation_data_for_tier("withdrawal")) == 1
    assert "overlapping" in eaf.get_annotation_data_for_tier("notes")[0][2]


def test_exports_cli_needs_an_existing_database(tmp_path, capsys):
    assert main(["export", "--db", str(tmp_path / "none.sqlite"), "--format", "elan", "--out", str(tmp_path)]) == 2
    assert "no such review database" in capsys.readouterr().err
