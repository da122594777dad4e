"""De-identification: recall on the project's PII set, placeholders, speaker names, what must be kept."""
from __future__ import annotations

import json
import re

import pytest

from pipeline.deid import Deidentifier, load_deid_config
from pipeline.deid.evaluate import evaluate, score_record
from pipeline.deid.pii_set import SOURCE, TURNS, build_records, load_pii_set
from pipeline.deid.placeholders import speaker_name_words
from pipeline.deid.spans import Span, merge_spans
from pipeline.errors import UserError

SPEAKERS = [{"label": "Dr. Amara Okafor", "role": "therapist"}, {"label": "Maya Thompson", "role": "client"}]


@pytest.fixture(scope="module")
def deid():
    return Deidentifier()


def test_deid_pii_set_is_built_from_its_source_and_large_enough():
    records = build_records(SOURCE)
    committed = load_pii_set(TURNS)
    assert records == committed, "data/pii/pii_turns.jsonl is stale: run python -m pipeline.deid.pii_set"
    assert len(records) >= 200
    assert {r["style"] for r in records} == {"clean", "asr", "disfluent"}
    kinds = {s["type"] for r in records for s in r["spans"]}
    assert {"PERSON", "PLACE", "DATE", "ORG", "PHONE", "EMAIL", "ADDRESS", "ID", "URL", "AGE"} <= kinds
    assert all(r["text"][s["start"]:s["end"]] == s["text"] for r in records for s in r["spans"])


def test_deid_recall_on_pii_set_is_at_least_095(deid):
    result = evaluate(load_pii_set(TURNS), deid)
    overall = result["overall"]
    assert overall["gold"] >= 400
    # Computed here, not copied: every gold identifier must lie wholly inside predicted spans.
    assert overall["recall"] >= 0.95, result["missed"]
    assert overall["precision"] >= 0.9, result["spurious"]


def test_deid_score_record_counts_partial_cover_as_a_miss():
    rec = {"text": "I saw Leah Moss on the 3rd of May", "spans": [
        {"start": 6, "end": 15, "type": "PERSON", "text": "Leah Moss"},
        {"start": 19, "end": 33, "type": "DATE", "text": "the 3rd of May"}]}
    res = score_record(rec, [Span(6, 10, "PERSON", 0.9), Span(23, 33, "DATE", 0.9)])
    assert [g["text"] for g in res["missed"]] == ["Leah Moss"]  # "Moss" survived
    assert [g["text"] for g in res["found"]] == ["the 3rd of May"]  # function words need no cover


def test_deid_placeholders_are_consistent_within_an_excerpt(deid):
    scrub = deid.scrubber(SPEAKERS)
    out = scrub.texts([
        "My brother Kieran came down from Glasgow. Then Leah rang.",
        "Kieran stayed a week. Leah didn't.",
        "honestly kieran just sat there",  # lower case: learnt from the first turn
        "Hello Maya, I'm Dr Okafor.",
    ])
    assert out[0] == "My brother [PERSON_1] came down from [CITY]. Then [PERSON_2] rang."
    assert out[1] == "[PERSON_1] stayed a week. [PERSON_2] didn't."
    assert out[2] == "honestly [PERSON_1] just sat there"
    assert out[3] == "Hello [CLIENT], I'm Dr [THERAPIST]."
    # A new excerpt starts numbering again.
    assert deid.scrubber(SPEAKERS).text("Leah came.") == "[PERSON_1] came."


def test_deid_full_name_and_first_name_share_a_placeholder(deid):
    scrub = deid.scrubber([])
    assert scrub.texts(["I met Janet Moss at work.", "Janet was kind."]) == \
        ["I met [PERSON_1] at work.", "[PERSON_1] was kind."]


@pytest.mark.parametrize("text, gone", [
    ("Ring me on 07700 900461 tonight.", "07700 900461"),
    ("The clinic is 0161 496 0455.", "0161 496 0455"),
    ("Call +44 7700 900218.", "7700 900218"),
    ("My US cell is (555) 010-4477.", "010-4477"),
    ("My NHS number is 485 777 3456.", "485 777 3456"),
    ("Hospital number RX7734021.", "RX7734021"),
    ("The case number is 2023/0481.", "2023/0481"),
    ("Email sam.h@example.org please.", "sam.h@example.org"),
    ("See www.example-clinic.org/help for it.", "example-clinic"),
    ("It was on 5/3/24.", "5/3/24"),
    ("See you on the 3rd of May.", "3rd of May"),
    ("last Tuesday the 14th was awful", "14th"),
    ("we moved on the twenty third of june", "twenty third of june"),
    ("Her birthday is March 3rd.", "March 3rd"),
    ("My gran is 94 years old.", "94"),
    ("she's ninety two now", "ninety two"),
    ("We live at 14 Elm Terrace.", "Elm Terrace"),
    ("i went round to twenty two acacia avenue", "acacia"),
    ("Post it to HG1 5RT.", "HG1 5RT"),
    ("I saw Dr Patel yesterday.", "Patel"),
    ("doctor ramirez put me on it", "ramirez"),
    ("my husband gareth was in the room", "gareth"),
    ("i work at tesco in doncaster", "doncaster"),
    ("He was at St Brigid's Hospital.", "Brigid"),
])
def test_deid_recognisers_remove_identifier_forms(deid, text, gone):
    out = deid.scrubber([]).text(text)
    assert gone.lower() not in out.lower(), out
    assert re.search(r"\[[A-Z]+(?:_\d+)?\]", out), out


@pytest.mark.parametrize("text", [
    "I'm 45 and I've been coming for two weeks.",
    "It happened in 2019, last year, maybe.",
    "The doctor said my mum should rest.",
    "I will try, and maybe it will help.",
    "We talked about it on the phone for an hour.",
])
def test_deid_keeps_text_without_identifiers(deid, text):
    assert deid.scrubber([]).text(text) == text


def test_deid_speaker_names_come_from_labels_not_roles():
    cfg = load_deid_config()
    assert speaker_name_words("Maya Thompson", cfg) == {"maya", "thompson"}
    assert speaker_name_words("Dr. Okafor", cfg) == {"okafor"}
    for generic in ("Client", "THERAPIST", "SPEAKER_01", "Counsellor", "P", "Speaker 2"):
        assert speaker_name_words(generic, cfg) == frozenset()


def test_deid_speakers_shown_by_role(deid):
    scrub = deid.scrubber(SPEAKERS + [{"label": "Leo", "role": "client"}])
    assert scrub.speaker("Dr. Amara Okafor") == "Therapist"
    assert scrub.speaker("Maya Thompson") == "Client 1"
    assert scrub.speaker("Leo") == "Client 2"
    assert scrub.text("Leo and Maya argued.") == "[CLIENT_2] and [CLIENT_1] argued."


def test_deid_merge_keeps_the_specific_kind_over_spacy():
    spans = [Span(0, 4, "ORG", 0.85, "spacy"), Span(0, 4, "PERSON", 0.6, "rupture-first-names"),
             Span(10, 20, "DATE", 0.9, "date_day_month"), Span(14, 22, "DATE", 0.85, "spacy")]
    merged = merge_spans(spans, ("PERSON", "ORG", "DATE"))
    assert [(s.start, s.end, s.kind) for s in merged] == [(0, 4, "PERSON"), (10, 22, "DATE")]


def test_deid_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "deid.yaml"
    bad.write_text("entities: [oops\n")
    with pytest.raises(UserError, match="deid.yaml"):
        load_deid_config(bad)
    with pytest.raises(UserError, match="not found"):
        load_deid_config(tmp_path / "missing.yaml")


def test_deid_eval_command_reports_recall(tmp_path, capsys):
    from pipeline.cli import main

    out = tmp_path / "eval.json"
    assert main(["deid-eval", "--split", "fresh", "--show", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "recall" in printed and "precision" in printed
    result = json.loads(out.read_text())
    assert result["overall"]["gold"] == sum(v["gold"] for v in result["by_type"].values())
