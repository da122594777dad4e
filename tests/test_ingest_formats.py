"""Every reader on files in tests/fixtures/good, including the awkward variants."""
from __future__ import annotations

import pytest

from pipeline.ingest import detect_format, read_session
from pipeline.model import Utterance, merge_utterances

# file, format, speakers (label -> role), number of merged turns, first start time, a text check
CASES = [
    ("tc_blank_lines.txt", "text", {"T": "therapist", "C": "client"}, 4, None,
     (1, "Up and down. The weekend was okay. I saw my sister on Sunday, which helped.")),
    ("therapist_client_timestamps.txt", "text", {"THERAPIST": "therapist", "CLIENT": "client"}, 4, 3.0,
     (1, "With the sleep stuff, I think. It got worse again on Wednesday.")),
    ("counsellor_patient_paren.txt", "text", {"Counsellor": "therapist", "Patient": "client"}, 4, 5.0,
     (1, "My GP said I should talk to someone.")),
    ("display_names_header.txt", "text", {"Dr. Okafor": "therapist", "Maya": "client"}, 5, None,
     (3, "He agreed to fix the boiler. My mum said: don't let him fob you off. So I didn't.")),
    ("speaker_numbers.txt", "text", {"Speaker 1": "therapist", "Speaker 2": "client"}, 6, None, None),
    ("speaker_underscore_asr.txt", "text", {"speaker_0": "therapist", "speaker_1": "client"}, 5, None,
     (3, "i dont know just tired mostly by the time i get home i just want to sit and not think about anything")),
    ("family_three_speakers.txt", "text", {"Therapist": "therapist", "Mum": "client", "Jake": "client"}, 7, None, None),
    ("bom_crlf.txt", "text", {"T": "therapist", "C": "client"}, 4, None, (0, "Bonjour, how was Montréal?")),
    ("cp1252.txt", "text", {"Therapist": "therapist", "Client": "client"}, 4, None,
     (1, "It went well – they called back already.")),
    ("voice_tags.vtt", "vtt", {"Dr. Lee": "therapist", "Priya": "client"}, 3, 1.0,
     (1, "Some of them are fine. The body scan is hard, I keep falling asleep halfway through.")),
    ("prefixes.vtt", "vtt", {"Therapist": "therapist", "Client": "client"}, 3, 1.0,
     (1, "My brother, I think. We haven't spoken since March. and it's starting to bother me.")),
    ("subtitles.srt", "srt", {"THERAPIST": "therapist", "CLIENT": "client"}, 3, 1.0,
     (1, "Sure. I filled in most days. Not Friday though.")),
    ("turns.csv", "csv", {"Therapist": "therapist", "Client": "client"}, 4, 0.0, None),
    ("turns_list.json", "json", {"T": "therapist", "C": "client"}, 4, 0.5, None),
    ("whisperx.json", "json", {"SPEAKER_00": "therapist", "SPEAKER_01": "client"}, 5, 0.0, None),
    ("turns.jsonl", "jsonl", {"Therapist": "therapist", "Client": "client"}, 4, 1.0, None),
    ("paragraphs.docx", "docx", {"Counsellor": "therapist", "Client": "client"}, 4, None,
     (1, "Getting through Monday without calling in sick. That's the big one.")),
]


@pytest.mark.parametrize("name,fmt,roles,n_turns,first_start,text_check", CASES, ids=[c[0] for c in CASES])
def test_ingest_reads_fixture(fixtures, name, fmt, roles, n_turns, first_start, text_check):
    session = read_session(fixtures / "good" / name)
    assert session.format == fmt
    assert {s.label: s.role for s in session.speakers} == roles
    assert len(session.turns) == n_turns
    assert [t.index for t in session.turns] == list(range(n_turns))
    # merged speaker turns alternate: no two neighbours share a speaker
    assert all(a.speaker != b.speaker for a, b in zip(session.turns, session.turns[1:]))
    assert all(t.role == roles[t.speaker] for t in session.turns)
    assert session.turns[0].start == first_start
    if text_check:
        idx, text = text_check
        assert session.turns[idx].text == text


def test_ingest_merged_cue_keeps_last_end_time(fixtures):
    s = read_session(fixtures / "good" / "voice_tags.vtt")
    assert (s.turns[1].start, s.turns[1].end) == (5.0, 11.2)


def test_ingest_csv_custom_columns_and_clock_times(fixtures):
    s = read_session(fixtures / "good" / "custom_columns.tsv", columns={"start": "t0"})
    assert [t.start for t in s.turns] == [2.0, 6.0, 10.0, 13.0]
    assert s.turns[0].end == 6.0  # no end column: a turn ends when the next one starts

def test_ingest_cp1252_fallback_warns(fixtures):
    s = read_session(fixtures / "good" / "cp1252.txt")
    assert any("cp1252" in w for w in s.warnings)
    assert s.turns[2].text == "That’s great news."


def test_ingest_text_end_times_come_from_next_start(fixtures):
    s = read_session(fixtures / "good" / "therapist_client_timestamps.txt")
    assert s.turns[0].end == 9.0
    assert s.turns[1].end == 20.0  # the merged turn ends when the therapist speaks again


def test_ingest_detects_format_from_content(tmp_path, fixtures):
    for name, fmt in [("voice_tags.vtt", "vtt"), ("turns_list.json", "json"), ("subtitles.srt", "srt"),
                      ("paragraphs.docx", "docx"), ("tc_blank_lines.txt", "text")]:
        data = (fixtures / "good" / name).read_bytes()
        target = tmp_path / f"noext_{fmt}"
        target.write_bytes(data)
        assert detect_format(target, data[:4096]) == fmt
        assert read_session(target).format == fmt


def test_model_merge_utterances_indexes_from_zero():
    turns = merge_utterances([Utterance("A", "one", 0.0, 1.0), Utterance("A", "two", 1.0, 2.0), Utterance("B", " "),
                              Utterance("B", "three", 3.0), Utterance("A", "four")])
    assert [(t.index, t.speaker, t.text) for t in turns] == [(0, "A", "one two"), (1, "B", "three"), (2, "A", "four")]
    assert turns[0].end == 2.0
