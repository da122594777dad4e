"""Batch annotation end to end with a tiny model: outputs, schema, resume, bad files, CSV and HTML safety."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import jsonschema
import pytest

from pipeline.annotate import annotate
from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "pipeline" / "schemas" / "annotation-1.0.schema.json").read_text())
SAMPLE = ROOT / "pipeline" / "samples" / "sample-session.txt"


def _validate_all(out: Path) -> list[dict]:
    docs = []
    for p in sorted(out.glob("*.json")):
        doc = json.loads(p.read_text())
        jsonschema.validate(doc, SCHEMA)
        docs.append(doc)
    return docs


def test_annotate_writes_schema_valid_json_csv_html_and_index(tiny_model_dir, fixtures, tmp_path):
    out = tmp_path / "out"
    res = annotate([SAMPLE, fixtures / "good" / "voice_tags.vtt"], out=out, model=str(tiny_model_dir))
    assert not res.failed and len(res.written) == 2
    names = sorted(p.name for p in out.iterdir())
    assert names == ["NOTICE.txt", "index.html", "sample-session.csv", "sample-session.html", "sample-session.json",
                     "summary.csv", "voice_tags.csv", "voice_tags.html", "voice_tags.json"]
    docs = _validate_all(out)
    doc = next(d for d in docs if d["session"]["id"] == "sample-session")
    assert doc["schema"] == "rupture-annotation/1.0"
    assert [t["index"] for t in doc["turns"]] == list(range(32))
    assert all(t["scores"]["withdrawal"] is not None for t in doc["turns"] if t["role"] == "client")
    assert doc["segments"][0]["unit"] == "time" and doc["session"]["duration"] == 245.0
    rows = list(csv.DictReader(open(out / "sample-session.csv")))
    assert len(rows) == 32 and rows[0]["role"] == "therapist" and "p_withdrawal" in rows[0]
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert sorted(r["session"] for r in summary) == ["sample-session", "voice_tags"]
    assert "sample-session.html" in (out / "index.html").read_text()


def test_annotate_resumes_and_skips_finished_sessions(tiny_model_dir, fixtures, tmp_path):
    out = tmp_path / "out"
    inputs = [SAMPLE, fixtures / "good" / "turns.csv"]
    first = annotate(inputs, out=out, model=str(tiny_model_dir))
    stamp = (out / "turns.json").stat().st_mtime_ns
    (out / "sample-session.json").unlink()  # as if the batch died before this session finished
    again = annotate(inputs, out=out, model=str(tiny_model_dir))
    assert [p.name for p in again.skipped] == ["turns.csv"]
    assert [p.name for p in again.written] == ["sample-session.json"]
    assert (out / "turns.json").stat().st_mtime_ns == stamp
    forced = annotate(inputs, out=out, model=str(tiny_model_dir), force=True)
    assert len(forced.written) == 2 and not forced.skipped
    assert first.documents[0]["turns"] == forced.documents[0]["turns"]


def test_annotate_bad_file_reported_rest_processed_exit_nonzero(tiny_model_dir, fixtures, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SAMPLE.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes((fixtures / "bad" / "binary.txt").read_bytes())
    out = tmp_path / "out"
    code = main(["annotate", str(folder), "--out", str(out), "--model", str(tiny_model_dir), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "empty.txt: file is empty" in captured.err and "binary.txt" in captured.err
    assert "Traceback" not in captured.err
    assert "1 annotated, 0 skipped, 2 failed" in captured.out
    assert sorted(p.name for p in out.glob("*.json")) == ["good.json"]
    assert not list(out.glob(".*.tmp"))


def test_annotate_baselines_are_selectable(tiny_model_dir, tmp_path):
    for name in ("rules", "tfidf"):
        from pipeline.classify.registry import load_classifier

        clf = load_classifier(name, baseline_of=str(tiny_model_dir))
        res = annotate([SAMPLE], out=tmp_path / name, classifier=clf)
        [doc] = _validate_all(tmp_path / name)
        assert doc["model"]["kind"] == name and len(res.written) == 1


def test_annotate_escapes_html_and_neutralises_csv_formulas(tiny_model_dir, tmp_path):
    evil = tmp_path / "evil.txt"
    evil.write_text("T: <script>alert('x')</script> How are you?\n"
                    "C: =HYPERLINK(\"http://example.invalid\",\"click\") <img src=x onerror=alert(1)>\n"
                    "T: <b>bold</b> & more\nC: +1 and -1 and @sum\n", encoding="utf-8")
    out = tmp_path / "out"
    annotate([evil], out=out, model=str(tiny_model_dir))
    html = (out / "evil.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>bold</b>" not in html
    assert "http-equiv=\"Content-Security-Policy\"" in html
    assert "http://" not in html.replace("http://example.invalid", "")  # no external assets
    cells = [r["text"] for r in csv.DictReader(open(out / "evil.csv"))]
    assert cells[1].startswith("'=HYPERLINK") and cells[3].startswith("'+1")


def test_annotate_python_api_returns_what_the_cli_writes(tiny_model_dir, tmp_path):
    res = annotate([SAMPLE], out=tmp_path / "o", model=str(tiny_model_dir))
    on_disk = json.loads((tmp_path / "o" / "sample-session.json").read_text())
    assert json.loads(json.dumps(res.documents[0])) == on_disk
    in_memory = annotate([SAMPLE], model=str(tiny_model_dir))
    assert in_memory.documents[0]["moments"] == on_disk["moments"] and not in_memory.written


class _RecordingTransformer:
    """The rules baseline posing as a transformer (scored session by session, like the real one),
    recording which turns it is asked to judge."""

    kind = "transformer"

    def __init__(self, inner):
        self.inner, self.taxonomy, self.rule_ = inner, inner.taxonomy, inner.rule_
        self.judged: list[tuple[str, str]] = []

    def predict_proba(self, items, batch_size=16, device="cpu", progress=False):
        self.judged.extend((i["role"], i["text"]) for i in items)
        return self.inner.predict_proba(items)

    def decide(self, probs):
        return self.inner.decide(probs)


def test_annotate_repair_windows_judge_fewer_therapist_turns_with_the_same_timeline(tiny_model_dir):
    import dataclasses

    from pipeline import read_sessions
    from pipeline.annotate import annotate_sessions
    from pipeline.classify.registry import load_classifier
    from pipeline.timeline import TimelineConfig

    clf = _RecordingTransformer(load_classifier("rules", baseline_of=str(tiny_model_dir)))
    sessions, _ = read_sessions([SAMPLE])
    # the sensitive settings: the rules baseline then finds two moments in the sample, not one
    base = TimelineConfig.load(ROOT / "configs" / "timeline-sensitive.yaml", thresholds=clf.rule_.family_thresholds)
    every = annotate_sessions(sessions, clf, dataclasses.replace(base, strategies="all"))[0]
    clf.judged.clear()
    windows = annotate_sessions(sessions, clf, base)[0]
    assert windows["parameters"]["strategies"] == "repair_windows"
    assert len(windows["moments"]) >= 2  # the sample's ruptures, as the rules see them
    for key in ("moments", "segments", "summary"):
        assert windows[key] == every[key]
    spans = [(m["start_turn"], max([m["end_turn"], *m["resolution"]["repair_turns"]])) for m in windows["moments"]]
    for t_all, t in zip(every["turns"], windows["turns"]):
        if t["role"] == "client":
            assert t == t_all
        elif t["strategy_score"] is None:  # not judged: outside every moment and its repair window
            assert t["strategy"] is None and not any(a <= t["index"] <= b for a, b in spans)
        else:
            assert t == t_all
    n_therapist = sum(t["role"] == "therapist" for t in windows["turns"])
    judged_therapist = [text for role, text in clf.judged if role == "therapist"]
    assert 0 < len(judged_therapist) < n_therapist
    assert len(judged_therapist) == sum(t.get("strategy_score") is not None for t in windows["turns"])
    assert sum(role == "client" for role, _ in clf.judged) == sum(t["role"] == "client" for t in windows["turns"])
    # the baselines score every turn in one go and then forget the same therapist turns
    rules = annotate_sessions(sessions, clf.inner, base)[0]
    for key in ("turns", "moments", "segments", "summary"):
        assert rules[key] == windows[key]


def test_annotate_cli_strategies_all_judges_every_therapist_turn(tiny_model_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["annotate", str(SAMPLE), "--out", str(out), "--model", str(tiny_model_dir), "--quiet",
                 "--strategies", "all"]) == 0
    [doc] = _validate_all(out)
    assert doc["parameters"]["strategies"] == "all"
    assert all(t["strategy_score"] is not None for t in doc["turns"] if t["role"] == "therapist")
    with pytest.raises(SystemExit):
        main(["annotate", str(SAMPLE), "--out", str(out), "--strategies", "some"])
