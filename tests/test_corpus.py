"""The seed corpus: loads through the validating loader and `datasets`, meets its targets, stays varied."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pipeline.corpus.authoring import AuthoringError, parse_session_file, parse_turn_file
from pipeline.corpus.convert import convert_coded_csv
from pipeline.corpus.quality import near_duplicates, repeated_openings
from pipeline.corpus.report import TARGETS, corpus_counts
from pipeline.corpus.build import build_corpus
from pipeline.corpus.schema import DATA_DIR, SESSION_SPLIT_BOUNDS, load_items, load_sessions, load_turn_dataset, split_of
from pipeline.errors import InputError

TURNS = DATA_DIR / "turns.jsonl"
SESSIONS = DATA_DIR / "sessions.jsonl"


@pytest.fixture(scope="module")
def corpus():
    items, problems = load_items(TURNS, strict=False)
    return items, problems, load_sessions(SESSIONS)


def test_corpus_loads_without_problems(corpus):
    items, problems, sessions = corpus
    assert problems == []
    assert items and sessions


def test_corpus_meets_its_size_targets(corpus):
    items, _, sessions = corpus
    c = corpus_counts(items, sessions)
    assert c["client_items"] >= TARGETS["client_items"]
    assert c["none"] >= TARGETS["none"]
    assert c["hard_negatives"] >= TARGETS["hard_negatives"]
    assert min(c["subtype"].values()) >= TARGETS["per_subtype"] and len(c["subtype"]) == 14
    assert c["therapist_items"] >= TARGETS["therapist_items"]
    assert c["sessions"] >= TARGETS["sessions"]
    assert c["sessions_without_rupture"] >= 1
    assert all(80 <= len(s["turns"]) <= 220 for s in sessions)
    assert sum(1 for s in sessions if any(t["start"] is not None for t in s["turns"])) >= 5
    styles = c["style"]
    total = sum(styles.values())
    assert 0.15 <= styles.get("asr", 0) / total <= 0.35
    assert 0.12 <= styles.get("disfluent", 0) / total <= 0.30


def test_corpus_has_no_near_duplicates_or_stock_openings(corpus):
    items, _, _ = corpus
    assert near_duplicates(items) == []
    assert repeated_openings(items) == []


def test_corpus_splits_keep_scenarios_together(corpus):
    items, _, sessions = corpus
    split_by_scenario = {}
    for i in items:
        split_by_scenario.setdefault(i["scenario"], set()).add(i["split"])
    assert all(len(v) == 1 for v in split_by_scenario.values())
    assert {i["split"] for i in items} == {"train", "dev", "test"}
    assert {s["split"] for s in sessions} == {"train", "dev", "test"}


def test_corpus_loads_with_datasets_offline_in_seconds():
    started = time.time()
    ds = load_turn_dataset(TURNS)
    assert set(ds) == {"train", "dev", "test"}
    assert sum(len(ds[s]) for s in ds) == sum(1 for _ in open(TURNS, encoding="utf-8"))
    assert time.time() - started < 20
    import datasets

    raw = datasets.load_dataset("json", data_files=str(TURNS), split="train")
    assert "context" in raw.column_names and "family" in raw.column_names


def test_corpus_json_matches_the_authoring_sources():
    from dataclasses import asdict

    src = DATA_DIR / "src" / "turns"
    expected = [asdict(i)["id"] for f in sorted(src.glob("*.txt")) for i in parse_turn_file(f)]
    assert [json.loads(line)["id"] for line in open(TURNS, encoding="utf-8")] == expected
    sess = [parse_session_file(f)["id"] for f in sorted((DATA_DIR / "src" / "sessions").glob("*.txt"))]
    assert [s["id"] for s in load_sessions(SESSIONS)] == sess
    second = [parse_session_file(f) for f in sorted((DATA_DIR / "src" / "second-coder").glob("*.txt"))]
    built = load_sessions(DATA_DIR / "sessions-second-coder.jsonl")
    assert [(s["id"], s["episodes"]) for s in built] == [(s["id"], s["episodes"]) for s in second]
    # the second coder coded every test session and every dev session placed there by the id hash, and no
    # train session; the dev sessions written later as a second dev set (`# split: dev`) have one coder
    sessions = load_sessions(SESSIONS)
    assert {s["id"] for s in built} == {s["id"] for s in sessions if s["split"] != "train" and "split" not in s["meta"]}
    assert {s["split"] for s in sessions if "split" in s["meta"]} <= {"dev"}


def test_corpus_loader_reports_problems_by_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = {"id": "a", "role": "client", "context": [{"role": "therapist", "text": "Hi?"}], "text": "Hello",
            "family": "none", "subtype": None, "style": "clean"}
    bad.write_text("\n".join([json.dumps(good), json.dumps({**good, "id": "b", "family": "withdrawal", "subtype": "C2"}),
                              "{not json"]) + "\n")
    with pytest.raises(InputError) as info:
        load_items(bad)
    assert info.value.line == 3 and "invalid JSON" in str(info.value)
    bad.write_text("\n".join([json.dumps(good), json.dumps({**good, "id": "b", "family": "withdrawal", "subtype": "C2"}),
                              json.dumps({**good, "id": "a"})]) + "\n")
    items, problems = load_items(bad, strict=False)
    assert [(p.line, p.message) for p in problems] == [
        (2, "'subtype' 'C2' is not a withdrawal code"), (3, "duplicate id 'a' (first at bad.jsonl:1)")]
    with pytest.raises(InputError, match=r"bad.jsonl:2: 'subtype' 'C2' is not a withdrawal code \(and 1 more"):
        load_items(bad)


def test_corpus_session_split_header_overrides_the_id_hash(tmp_path):
    src = tmp_path / "src"
    (src / "turns").mkdir(parents=True)
    (src / "sessions").mkdir()
    body = "T: How was the week?\nC: Fine. {{W1 ep1}}\nT: Just fine?\nC: Yes, fine really.\n# ep1: unresolved\n"
    hashed = next(f"s-x-{k}" for k in range(100) if split_of(f"s-x-{k}", SESSION_SPLIT_BOUNDS) == "train")
    (src / "sessions" / "a.txt").write_text(f"# session: {hashed}\n# split: dev\n" + body)
    (src / "sessions" / "b.txt").write_text(f"# session: {hashed}-b\n" + body)
    build_corpus(src, tmp_path)
    built = {s["id"]: s["split"] for s in load_sessions(tmp_path / "sessions.jsonl")}
    assert built == {hashed: "dev", f"{hashed}-b": split_of(f"{hashed}-b", SESSION_SPLIT_BOUNDS)}
    (src / "sessions" / "a.txt").write_text(f"# session: {hashed}\n# split: holdout\n" + body)
    with pytest.raises(InputError, match=r"a.txt:2: split must be one of train, dev, test, got 'holdout'"):
        build_corpus(src, tmp_path)


def test_corpus_authoring_errors_name_file_and_line(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("### id: x-1 | scenario: s | style: clean | label: W9\nT: hi\n>C: ok\n")
    with pytest.raises(AuthoringError, match=r"x.txt:1: client item label must be none or W1-W7/C1-C7"):
        parse_turn_file(f)


def test_corpus_csv_converter_builds_context_and_splits_by_session(tmp_path):
    coded = tmp_path / "coded.csv"
    coded.write_text("session,turn,speaker_role,text,code\n"
                     "s1,1,therapist,How was the week?,\n"
                     "s1,2,client,Fine.,W2\n"
                     "s1,3,therapist,It sounds like it was hard.,validate_defense\n"
                     "s1,4,client,It was. My boss shouted at me.,\n")
    out = tmp_path / "items.jsonl"
    assert convert_coded_csv(coded, out) == 3
    items, problems = load_items(out)
    assert problems == []
    assert [(i["role"], i["family"], i["subtype"], i["strategy"]) for i in items] == [
        ("client", "withdrawal", "W2", None), ("therapist", None, None, "validate_defense"),
        ("client", "none", None, None)]
    assert [len(i["context"]) for i in items] == [1, 2, 3]
    assert {i["split"] for i in items} == {split_of("s1")}
    coded.write_text("session,speaker_role,text\ns1,client,hi\n")
    with pytest.raises(InputError, match="missing column"):
        convert_coded_csv(coded, out)


def test_corpus_quality_checks_catch_copies_and_stock_openings():
    base = "I just don't think this homework is doing anything for me at all"
    items = [{"id": "a", "text": base}, {"id": "b", "text": base + " really"},
             {"id": "c", "text": "Completely different words about the weekend and my sister"}]
    assert [(a, b) for a, b, _ in near_duplicates(items)] == [("a", "b")]
    stock = [{"id": str(k), "text": f"You're the expert here {k} so whatever"} for k in range(8)]
    assert repeated_openings(stock) == [("you're the expert", 8)]


def _session_text(labels: dict[int, str] | None = None, footer: str = "") -> str:
    lines = ["# session: s-x", "# modality: cbt", "# style: clean",
             "T: How was the week?", "C: Fine.", "T: Tell me more?", "C: There is nothing more to say."]
    for k, tag in (labels or {}).items():
        lines[k] += f"  {{{{{tag}}}}}"
    return "\n".join(lines + ([footer] if footer else [])) + "\n"


def test_corpus_build_reads_a_second_coders_labels_for_the_same_transcripts(tmp_path):
    from pipeline.corpus.build import SECOND_CODER_FILE

    src = tmp_path / "src"
    (src / "turns").mkdir(parents=True)
    (src / "sessions").mkdir()
    (src / "second-coder").mkdir()
    (src / "sessions" / "x.txt").write_text(_session_text())
    (src / "second-coder" / "x.txt").write_text(_session_text({6: "W2 ep1"}, "# ep1: unresolved"))
    counts = build_corpus(src, tmp_path)
    assert counts["second_coder"] == 1
    first, = load_sessions(tmp_path / "sessions.jsonl")
    second, = load_sessions(tmp_path / SECOND_CODER_FILE)
    assert first["episodes"] == [] and second["split"] == first["split"] and second["coder"] == "second"
    assert [(e["first_turn"], e["family"], e["resolved"]) for e in second["episodes"]] == [(3, "withdrawal", False)]
    # a copy whose transcript drifted is refused, naming the file; nothing is written
    (tmp_path / "sessions.jsonl").unlink()
    (src / "second-coder" / "x.txt").write_text(_session_text().replace("nothing more", "not much more"))
    with pytest.raises(InputError, match=r"second-coder/x.txt: transcript differs from x.txt at turn 3"):
        build_corpus(src, tmp_path)
    assert not (tmp_path / "sessions.jsonl").exists()
