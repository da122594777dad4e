"""The review database: migrations, idempotent import, per-reviewer decisions, audit trail, agreement."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime

import pytest

from pipeline.errors import UserError
from pipeline.review import migrations
from pipeline.review.db import NotFound, ReviewDB
from review_helpers import build_review_folder


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, tiny_model_dir):
    return build_review_folder(tmp_path_factory.mktemp("review-db"), tiny_model_dir)


@pytest.fixture
def folder(annotated, tmp_path):
    """A private copy of the annotated folder (tests change documents)."""
    dst = tmp_path / "ann"
    shutil.copytree(annotated, dst)
    return dst


@pytest.fixture
def db(folder):
    with ReviewDB(folder / "reviews.sqlite") as d:
        d.import_annotations(folder)
        yield d


def _count(db: ReviewDB, table: str) -> int:
    return db._rows(f"SELECT COUNT(*) FROM {table}")[0][0]


def test_review_db_migrations_on_a_fresh_file(tmp_path):
    path = tmp_path / "new.sqlite"
    with ReviewDB(path) as db:
        assert db.schema_version == migrations.LATEST == 2
        versions = [r[0] for r in db._rows("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == [1, 2]
        assert db._rows("PRAGMA journal_mode")[0][0] == "wal"
        assert db._rows("PRAGMA foreign_keys")[0][0] == 1
        tables = {r[0] for r in db._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sessions", "moments", "decisions", "audit", "reviewers", "schema_migrations"} <= tables
    with ReviewDB(path) as db:  # reopening applies nothing twice
        assert db._rows("SELECT COUNT(*) FROM schema_migrations")[0][0] == 2


def test_review_db_migrates_an_existing_version_1_file_keeping_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    assert migrations.migrate(conn, upto=1) == [1]
    now = "2024-01-01T00:00:00.000+00:00"
    conn.execute("INSERT INTO sessions VALUES ('s1', 'a.txt', 3, 1, 2, '{\"turns\": []}', 'abc', NULL, ?, ?)", (now, now))
    conn.execute("INSERT INTO moments(session_id, moment_key, origin, family, subtypes, start_turn, end_turn, created_at) "
                 "VALUES ('s1', 'm1', 'model', 'withdrawal', '[\"W2\"]', 1, 1, ?)", (now,))
    conn.execute("INSERT INTO decisions(moment_id, reviewer, verdict, family, subtype, start_turn, end_turn, "
                 "last_action, created_at, updated_at) VALUES (1, 'old-reviewer', 'confirmed', 'withdrawal', 'W2', 1, 1, "
                 "'confirm', ?, ?)", (now, now))
    conn.close()
    with ReviewDB(path) as db:
        assert db.schema_version == 2
        assert db.reviewers() == ["old-reviewer"]  # migration 2 back-filled the reviewers table
        [m] = db.moments("s1")
        assert m["decisions"][0]["reviewer"] == "old-reviewer" and m["decisions"][0]["verdict"] == "confirmed"


def test_review_db_refuses_a_schema_newer_than_it_knows(tmp_path):
    path = tmp_path / "future.sqlite"
    ReviewDB(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer than this toolkit knows"):
        ReviewDB(path)


def test_review_db_import_twice_duplicates_nothing(folder):
    with ReviewDB(folder / "reviews.sqlite") as db:
        first = db.import_annotations(folder)
        counts = {t: _count(db, t) for t in ("sessions", "moments", "audit")}
        second = db.import_annotations(folder)
        assert first["sessions_added"] == 2 and first["failed"] == []
        assert second["sessions_added"] == 0 and second["sessions_updated"] == 0 and second["sessions_unchanged"] == 2
        assert {t: _count(db, t) for t in counts} == counts
        doc = json.loads((folder / "sample-session.json").read_text())
        sess = db.session("sample-session")
        assert sess["document"] == doc and len(sess["sha256"]) == 64
        assert sorted(m["moment_key"] for m in db.moments("sample-session")) == sorted(m["id"] for m in doc["moments"])
        assert all(m["origin"] == "model" for m in db.moments("sample-session"))


def test_review_db_reimport_of_changed_document_updates_moments_and_keeps_decisions(folder, db):
    path = folder / "sample-session.json"
    doc = json.loads(path.read_text())
    first, second = doc["moments"][0], doc["moments"][1]
    m_first = next(m for m in db.moments("sample-session") if m["moment_key"] == first["id"])
    m_second = next(m for m in db.moments("sample-session") if m["moment_key"] == second["id"])
    db.record_decision(m_first["id"], "ana", "confirm", comment="clear withdrawal")
    db.record_decision(m_second["id"], "ana", "reject")
    first["significance"] = 5 if first["significance"] != 5 else 4
    doc["moments"].remove(second)  # the model no longer flags this one
    path.write_text(json.dumps(doc))
    res = db.import_annotations(folder)
    assert res["sessions_updated"] == 1 and res["sessions_unchanged"] == 1
    assert res["moments_updated"] == 1 and res["moments_retired"] == 1
    by_key = {m["moment_key"]: m for m in db.moments("sample-session")}
    assert by_key[first["id"]]["significance"] == first["significance"]
    assert by_key[second["id"]]["active"] is False  # kept, because a decision points to it
    assert by_key[first["id"]]["decisions"][0]["verdict"] == "confirmed"
    assert by_key[first["id"]]["decisions"][0]["comment"] == "clear withdrawal"
    assert by_key[second["id"]]["decisions"][0]["verdict"] == "rejected"
    assert db.session("sample-session")["document"]["moments"] == doc["moments"]


def test_review_db_one_bad_file_does_not_stop_the_import(folder, tmp_path):
    (folder / "broken.json").write_text("{not json")
    bad = json.loads((folder / "sample-session.json").read_text())
    bad["session"]["id"] = "bad-one"
    del bad["turns"]
    (folder / "bad-one.json").write_text(json.dumps(bad))
    (folder / "other.json").write_text(json.dumps({"something": "else"}))
    with ReviewDB(tmp_path / "x.sqlite") as db:
        res = db.import_annotations(folder)
        assert res["sessions_added"] == 2 and res["skipped"] == 1
        assert len(res["failed"]) == 2
        assert any("broken.json:1" in f and "invalid JSON" in f for f in res["failed"])
        assert any("bad-one.json" in f and "turns" in f for f in res["failed"])
        assert {s["id"] for s in db.sessions()} == {"sample-session", "payload-session"}
    with pytest.raises(UserError, match="not a folder"):
        ReviewDB(tmp_path / "y.sqlite").import_annotations(tmp_path / "missing")


def test_review_db_decisions_of_different_reviewers_are_kept_apart(db):
    m = db.moments("sample-session")[0]
    d_ana = db.record_decision(m["id"], "ana", "confirm")
    d_ben = db.record_decision(m["id"], "ben", "reject", comment="not a rupture")
    assert d_ana != d_ben
    assert db.record_decision(m["id"], "ana", "comment", comment="textbook") == d_ana  # one row per (moment, reviewer)
    decisions = {d["reviewer"]: d for d in db.moment(m["id"])["decisions"]}
    assert decisions["ana"]["verdict"] == "confirmed" and decisions["ana"]["comment"] == "textbook"
    assert decisions["ben"]["verdict"] == "rejected" and decisions["ben"]["comment"] == "not a rupture"
    assert [c["moment_id"] for c in db.confirmed_moments(reviewer="ana")] == [m["id"]]
    assert db.confirmed_moments(reviewer="ben") == []
    assert db.reviewers() == ["ana", "ben"]
    assert {s["id"]: s["reviewed"] for s in db.sessions(reviewer="ana")} == {"sample-session": 1, "payload-session": 0}


def test_review_db_audit_trail_keeps_who_when_and_previous_values(db):
    m = db.moments("sample-session")[0]
    model_subtype = m["subtypes"][0]
    other = "W5" if model_subtype != "W5" else "W4"
    db.record_decision(m["id"], "ana", "relabel", family="withdrawal", subtype=other)
    db.record_decision(m["id"], "ana", "adjust_span", start_turn=m["start_turn"], end_turn=m["start_turn"])
    db.record_decision(m["id"], "ana", "reject")
    log = [r for r in db.audit_log() if r["table"] == "decisions"]
    assert [r["action"] for r in log][:2] == ["reject", "adjust_span"]  # newest first
    verdicts = [(r["previous"], r["new"]) for r in log if r["field"] == "verdict"]
    assert verdicts == [("relabelled", "rejected"), (None, "relabelled")]
    assert ("subtype", None, other) in [(r["field"], r["previous"], r["new"]) for r in log]
    if m["end_turn"] != m["start_turn"]:
        assert ("end_turn", str(m["end_turn"]), str(m["start_turn"])) in [(r["field"], r["previous"], r["new"]) for r in log]
    for r in log:
        assert r["who"] == "ana"
        assert datetime.fromisoformat(r["at"]).utcoffset().total_seconds() == 0
    assert len(db.audit_log(limit=2)) == 2
    d = db.moment(m["id"])["decisions"][0]
    assert (d["verdict"], d["family"], d["subtype"]) == ("rejected", "withdrawal", other)


def test_review_db_failed_write_leaves_no_trace(db):
    m = db.moments("sample-session")[0]
    before = (_count(db, "decisions"), _count(db, "audit"))
    with pytest.raises(UserError, match="not within the session"):
        db.record_decision(m["id"], "ana", "adjust_span", start_turn=0, end_turn=10_000)
    with pytest.raises(UserError, match="is not a confrontation code"):
        db.record_decision(m["id"], "ana", "relabel", family="confrontation", subtype="W1")
    with pytest.raises(UserError, match="relabel needs"):
        db.record_decision(m["id"], "ana", "relabel", family="confrontation")
    with pytest.raises(UserError, match="action must be one of"):
        db.record_decision(m["id"], "ana", "approve")
    with pytest.raises(UserError, match="reviewer name"):
        db.record_decision(m["id"], "  ", "confirm")
    with pytest.raises(NotFound):
        db.record_decision(999_999, "ana", "confirm")
    with pytest.raises(NotFound):
        db.moments("no-such-session")
    assert (_count(db, "decisions"), _count(db, "audit")) == before


def test_review_db_added_moment_counts_as_confirmed_with_resolution_and_turns(db):
    doc = db.session("payload-session")["document"]
    client = [t["index"] for t in doc["turns"] if t["role"] == "client"]
    mid = db.add_moment("payload-session", "ana", "confrontation", "C5", client[-2], client[-2], comment="missed")
    m = db.moment(mid)
    assert m["origin"] == "reviewer" and m["moment_key"].startswith("r") and m["created_by"] == "ana"
    assert m["evidence_turns"] == [client[-2]] and set(m["resolution"]) >= {"attempted", "strategies", "resolved"}
    [c] = db.confirmed_moments(subtype="C5")
    assert (c["session_id"], c["reviewer"], c["family"], c["comment"]) == ("payload-session", "ana", "confrontation",
                                                                          "missed")
    turns = db.session(c["session_id"])["document"]["turns"]
    assert "nothing changed" in turns[c["start_turn"]]["text"]
    assert db.confirmed_moments(family="withdrawal", subtype="C5") == []
    second = db.add_moment("payload-session", "ben", "withdrawal", "W2", client[0], client[1])
    assert db.moment(second)["moment_key"] != m["moment_key"]
    with pytest.raises(UserError, match="not a withdrawal code"):
        db.add_moment("payload-session", "ana", "withdrawal", "C1", 0, 1)


def test_review_db_confirmed_moments_use_the_reviewers_effective_label(db):
    ms = db.moments("sample-session")
    db.record_decision(ms[0]["id"], "ana", "relabel", family="confrontation", subtype="C7", comment="pressure")
    db.record_decision(ms[1]["id"], "ana", "confirm")
    db.record_decision(ms[2]["id"], "ana", "reject")
    got = {c["moment_id"]: c for c in db.confirmed_moments(reviewer="ana")}
    assert set(got) == {ms[0]["id"], ms[1]["id"]}
    assert (got[ms[0]["id"]]["family"], got[ms[0]["id"]]["subtype"], got[ms[0]["id"]]["verdict"]) == \
        ("confrontation", "C7", "relabelled")
    assert got[ms[0]["id"]]["model_family"] == ms[0]["family"]
    assert got[ms[1]["id"]]["subtype"] == ms[1]["subtypes"][0] and got[ms[1]["id"]]["resolution"] == ms[1]["resolution"]
    assert [c["moment_id"] for c in db.confirmed_moments(subtype="C7")] == [ms[0]["id"]]


def test_review_db_reviewer_agreement_on_a_fixture(db):
    doc = db.session("sample-session")["document"]
    client = [t["index"] for t in doc["turns"] if t["role"] == "client"][:10]
    # Ten moments added by a third reviewer; ana and ben judge each. Expected by hand:
    # agreement 7/10; P(ana confirms) .6, P(ben confirms) .5, pe = .6*.5 + .4*.5 = .5, kappa = (.7-.5)/.5 = .4.
    ana = [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]
    ben = [1, 1, 1, 0, 0, 0, 0, 1, 0, 1]
    for turn, a, b in zip(client, ana, ben):
        mid = db.add_moment("sample-session", "zoe", "withdrawal", "W2", turn, turn)
        db.record_decision(mid, "ana", "confirm" if a else "reject")
        db.record_decision(mid, "ben", "confirm" if b else "reject")
    rep = db.reviewer_agreement()
    assert rep["moments_multi_reviewed"] == 10 and rep["reviewers"] == ["ana", "ben", "zoe"]
    pair = next(p for p in rep["pairs"] if p["reviewers"] == ["ana", "ben"])
    assert (pair["n"], pair["percent_agreement"], pair["kappa"]) == (10, 70.0, 0.4)
    assert pair["both_confirmed"] == 4 and pair["label_agreement"] == 100.0
    zoe = next(p for p in rep["pairs"] if p["reviewers"] == ["ana", "zoe"])
    assert (zoe["n"], zoe["percent_agreement"]) == (10, 60.0)


def test_review_db_a_failing_migration_rolls_back_whole(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite"
    ReviewDB(path).close()

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise sqlite3.OperationalError("disk trouble in the middle of migration 3")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (3, "broken", [broken])])
    monkeypatch.setattr(migrations, "LATEST", 3)
    with pytest.raises(UserError, match="disk trouble"):
        ReviewDB(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()
