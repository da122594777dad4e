"""The casebook: confirmed moments as de-identified teaching examples in Markdown, HTML and JSONL."""
from __future__ import annotations

import json
import re

import pytest

from pipeline.casebook import build_entry, md_text, render_html
from pipeline.cli import main
from pipeline.deid import NOTICE_DEID
from pipeline.review.db import ReviewDB
from pipeline.taxonomy import load_taxonomy
from test_exports_helpers import PLANTED, build_annotations, build_db


@pytest.fixture(scope="module")
def annotated(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("casebook") / "annotations"
    build_annotations(tiny_model_dir, folder)
    return folder


@pytest.fixture
def db_path(annotated, tmp_path):
    return build_db(annotated, tmp_path / "reviews.sqlite")


def _outputs(out):
    return {name: (out / name).read_text(encoding="utf-8") for name in ("casebook.md", "casebook.html",
                                                                        "casebook.jsonl")}


def test_casebook_planted_names_never_survive(db_path, tmp_path):
    out = tmp_path / "cb"
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--context", "20"]) == 0
    outputs = _outputs(out)
    for name, text in outputs.items():
        leaks = [p for p in PLANTED if p.lower() in text.lower()]
        assert leaks == [], f"{name} leaks {leaks}"
        assert "de-identified excerpts" in text and "must check" in text, name
    entries = [json.loads(line) for line in outputs["casebook.jsonl"].splitlines()]
    # alice confirmed m1 and relabelled m2, bob confirmed m1; alice's rejection of m3 is not a teaching example.
    assert sorted((e["moment"], e["reviewer"]) for e in entries) == [("m1", "alice"), ("m1", "bob"),
                                                                     ("m2", "alice")]
    texts = " ".join(t["text"] for e in entries for t in e["turns"])
    assert "[CLIENT]" in texts and "[PERSON_1]" in texts and "[AGE]" in texts and "[CITY]" in texts
    assert all(e["notice"] == NOTICE_DEID for e in entries)


def test_casebook_entry_has_context_definition_response_and_comment(db_path, tmp_path):
    out = tmp_path / "cb"
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--subtype", "w1", "--reviewer", "alice",
                 "--context", "1"]) == 0
    [entry] = [json.loads(line) for line in (out / "casebook.jsonl").read_text().splitlines()]
    assert (entry["family"], entry["subtype"], entry["subtype_name"]) == ("withdrawal", "W1", "Denial")
    assert entry["definition"] == load_taxonomy().subtype_info["W1"]["definition"]
    assert [t["index"] for t in entry["turns"]] == [2, 3, 4]
    assert [t["index"] for t in entry["turns"] if t["in_moment"]] == [3]
    assert entry["response"]["turns"] == [4] and entry["response"]["resolved"] is True
    assert entry["response"]["summary"].startswith("Repaired")
    assert "Acknowledging the therapist's own contribution" in entry["response"]["strategies"]
    # The comment is de-identified with the excerpt: Kieran is [PERSON_1] in both.
    kieran = [t["text"] for t in entry["turns"] if t["index"] == 3]
    assert "[PERSON_1]" in entry["comment"] and entry["comment"].startswith("[CLIENT] shuts down")
    assert "[PHONE]" in entry["comment"]
    html = (out / "casebook.html").read_text()
    assert "Denial" in html and "Repaired" in html and kieran


def test_casebook_filters_by_family_and_relabelled_subtype(db_path, tmp_path):
    out = tmp_path / "cb"
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--family", "confrontation"]) == 0
    entries = [json.loads(line) for line in (out / "casebook.jsonl").read_text().splitlines()]
    assert [(e["moment"], e["subtype"], e["verdict"]) for e in entries] == [("m2", "C2", "relabelled")]
    assert entries[0]["model_label"]["subtypes"] == ["C3"]
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--subtype", "C5"]) == 0
    assert (out / "casebook.jsonl").read_text() == ""
    assert "0 example(s)" in (out / "casebook.md").read_text()


def test_casebook_without_deid_needs_both_flags(db_path, tmp_path, capsys):
    out = tmp_path / "cb"
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--no-deid"]) == 2
    assert "--i-understand-this-exposes-transcripts" in capsys.readouterr().err
    assert not out.exists()
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--i-understand-this-exposes-transcripts"]) == 2
    assert main(["casebook", "--db", str(db_path), "--out", str(out), "--no-deid",
                 "--i-understand-this-exposes-transcripts"]) == 0
    outputs = _outputs(out)
    assert "Kieran" in outputs["casebook.md"]
    assert all("NOT de-identified" in text for text in outputs.values())


def test_casebook_rejects_bad_filters(db_path, tmp_path, capsys):
    for args in (["--subtype", "Z9"], ["--family", "sadness"], ["--family", "withdrawal", "--subtype", "C2"],
                 ["--context", "99"]):
        assert main(["casebook", "--db", str(db_path), "--out", str(tmp_path / "x"), *args]) == 2
    assert "error:" in capsys.readouterr().err


def test_casebook_html_is_self_contained_and_escaped(db_path, annotated):
    with ReviewDB(db_path) as db:
        confirmed = db.confirmed_moments(reviewer="bob")[0]
        doc = db.session(confirmed["session_id"])["document"]
    doc["turns"][3]["text"] = '<script>alert("x")</script> <img src="https://example.com/t.png"> *bold*'
    entry = build_entry(doc, confirmed, load_taxonomy(), context=1, deid=None)
    page = render_html([entry], {}, "notice")
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(?:src|href)=["']?https?:""", page)
    assert "Content-Security-Policy" in page and "<style>" in page
    md = md_text(entry["turns"][1]["text"])
    assert "<" not in md.replace("\\<", "") and "\\*bold\\*" in md
