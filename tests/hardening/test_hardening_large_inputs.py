"""Large, odd and special inputs, generated into tmp_path: each is refused quickly with a clear
InputError or read correctly, in bounded time and memory."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from guards import FILE_BUDGET_S, measured, time_limit
from hostile import GOOD, render, write_docx_bomb, write_many_turns
from pipeline import read_sessions
from pipeline.errors import InputError
from pipeline.ingest import expand_inputs, read_session
from pipeline.ingest.limits import MAX_LINE_CHARS, MAX_TURN_CHARS, MAX_TURNS
from pipeline.segment import segment_sessions, sentences_of

# Peak Python heap while refusing or reading one of these files: bounded, a small multiple of the file.
PEAK_MB = 400


@pytest.fixture(scope="module", autouse=True)
def _warm_segmenter():
    """Load spaCy once, outside the per-file time budget."""
    sentences_of(["Warm up. The segmenter loads once."])


@pytest.mark.parametrize("fmt,suffix", [("text", ".txt"), ("csv", ".csv"), ("jsonl", ".jsonl")])
def test_hardening_200000_turns_refused_fast_and_bounded(tmp_path, fmt, suffix):
    path = write_many_turns(tmp_path / f"many{suffix}", 200_000, fmt)
    with time_limit(FILE_BUDGET_S), pytest.raises(InputError) as info:
        read_session(path)
    assert info.value.path == str(path)
    assert f"200,000 turns is over the {MAX_TURNS:,} limit" in info.value.message
    if fmt == "text":  # tracemalloc slows reading six-fold: measure memory on one smaller file
        over = write_many_turns(tmp_path / "over.txt", MAX_TURNS + 1, "text")
        with time_limit(5 * FILE_BUDGET_S), measured() as m, pytest.raises(InputError, match="over the"):
            read_session(over)
        assert m["peak_mb"] < PEAK_MB / 4, m  # about 25 MB for this 1 MB file


def test_hardening_turn_limit_is_inclusive(tmp_path):
    path = write_many_turns(tmp_path / "at-limit.jsonl", MAX_TURNS, "jsonl")
    with time_limit(3 * FILE_BUDGET_S):
        session = read_session(path)
    assert len(session.turns) == MAX_TURNS


def test_hardening_file_over_the_byte_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: the size alone must refuse it
    with time_limit(2), measured() as m, pytest.raises(InputError, match="over the 20 MB limit"):
        read_session(path)
    assert m["peak_mb"] < 5
    with pytest.raises(InputError, match="over the 1 MB limit"):
        read_session(path, max_bytes=2**20)


@pytest.mark.parametrize("fmt", ["text", "vtt", "srt", "csv", "tsv", "json", "jsonl", "docx"])
def test_hardening_5000_character_turns_parse_in_every_format(tmp_path, fmt):
    from hostile import EXTENSION

    long_text = ("I do not know what to say about that. " * 130)[:5000].strip()
    turns = [("Therapist", "How have things been since we last met?", 1.0), ("Client", long_text, 5.0),
             ("Therapist", "That sounds like a lot.", 70.0)]
    path = tmp_path / f"long{EXTENSION[fmt]}"
    path.write_bytes(render(turns, fmt))
    with time_limit(FILE_BUDGET_S):
        session = read_session(path)
        segment_sessions([session])
    assert [t.text for t in session.turns] == [t[1] for t in turns]
    assert len(session.turns[1].sentences) > 50


@pytest.mark.parametrize("fmt,suffix", [("text", ".txt"), ("vtt", ".vtt"), ("csv", ".csv"), ("docx", ".docx")])
def test_hardening_line_over_the_length_limit_names_its_line(tmp_path, fmt, suffix):
    huge = "x" * (MAX_LINE_CHARS + 1)
    turns = [("T", "Hello?", 1.0), ("C", huge, 2.0)]
    path = tmp_path / f"huge-line{suffix}"
    path.write_bytes(render(turns, fmt))
    with time_limit(FILE_BUDGET_S), pytest.raises(InputError) as info:
        read_session(path)
    assert "over the 100,000-character limit" in info.value.message
    expected_line = {"text": 2, "vtt": 9, "csv": 3, "docx": 2}[fmt]  # vtt: header, blank, id, timing, cue, ...
    assert info.value.line == expected_line


def test_hardening_turn_over_the_length_limit_is_refused(tmp_path):
    """Thousands of rows of one speaker merge into one turn: refused, not passed on to spaCy."""
    path = tmp_path / "one-long-turn.csv"
    row = "word " * 200
    path.write_text("speaker,text\nC,Hello?\n" + "".join(f"T,{row}\n" for _ in range(MAX_TURN_CHARS // 1000 + 1)))
    with time_limit(FILE_BUDGET_S), pytest.raises(InputError) as info:
        read_session(path)
    assert "turn 1 (T)" in info.value.message and info.value.line == 3


def test_hardening_docx_zip_bomb_refused_before_unpacking(tmp_path):
    path = write_docx_bomb(tmp_path / "bomb.docx", unpacked_mb=210)
    assert path.stat().st_size < 2**20
    with time_limit(FILE_BUDGET_S), measured() as m, pytest.raises(InputError, match="would unpack to 210 MB"):
        read_session(path)
    assert m["peak_mb"] < 50


def test_hardening_special_files_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with time_limit(5), pytest.raises(InputError, match="not a regular file"):
        read_session(fifo)
    with time_limit(5), pytest.raises(InputError, match="not a regular file"):
        read_session("/dev/zero")
    with pytest.raises(InputError, match="is a directory"):
        read_session(tmp_path)


def test_hardening_directory_with_symlink_loop_and_special_files(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(folder / "fifo.txt")
    (folder / "sub" / "good.txt").write_text(GOOD)
    with time_limit(FILE_BUDGET_S):
        files, errors = expand_inputs([folder])
        sessions, read_errors = read_sessions([folder])
    assert [f.name for f in files] == ["good.txt"] and not errors
    assert [s.id for s in sessions] == ["good"] and not read_errors


ODD_NAMES = ["with spaces.txt", "ünïcødé 日本語 séance.vtt", "dots..in..name.csv", "-starts-with-dash.txt",
             "javascript:alert(1).txt", "<img src=x onerror=alert(1)>.txt", "semi;colon & ampersand.jsonl",
             "'quotes\" and $(dollar).txt"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_hardening_odd_path_names_read_and_reported(tmp_path, name):
    folder = tmp_path / "odd dir ü"
    folder.mkdir()
    fmt = {".txt": "text", ".vtt": "vtt", ".csv": "csv", ".jsonl": "jsonl"}[Path(name).suffix]
    path = folder / name
    path.write_bytes(render([("T", "Hello?", 1.0), ("C", "Hi.", 2.0)], fmt))
    via_dotdot = folder / ".." / folder.name / name
    session = read_session(via_dotdot)
    assert [t.text for t in session.turns] == ["Hello?", "Hi."]
    assert session.id == Path(name).stem
    files, errors = expand_inputs([folder, via_dotdot])
    assert files == [path] and not errors  # one file, however it is named
    bad = folder / ("bad " + name)
    bad.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_session(bad)
    assert str(info.value).startswith(f"{bad}: ")


def test_hardening_punctuation_runs_segment_in_linear_time():
    """spaCy's tokenizer is quadratic in a run of punctuation without spaces; the segmenter cuts
    such runs for the tokenizer and maps sentences back to the original text."""
    run = "".join(".,;?!\"'("[(i * 7) % 8] for i in range(MAX_TURN_CHARS))
    with time_limit(FILE_BUDGET_S), measured() as m:
        sents = sentences_of([run, "Fine. Really? " + "x" * 300 + " ok."])
    assert "".join(sents[0]).replace(" ", "") == run
    assert sents[1] == ["Fine.", "Really?", "x" * 300 + " ok."]
    assert m["seconds"] < FILE_BUDGET_S


@pytest.mark.slow
def test_hardening_largest_accepted_file_reads_and_segments_in_bounded_time(tmp_path):
    """A file just under 20 MB and 50,000 turns (each turn ~390 characters) is accepted."""
    path = tmp_path / "largest.jsonl"
    text = ("so I keep thinking about what you said last time, and honestly I am not sure. " * 5)[:380]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(MAX_TURNS):
            fh.write(json.dumps({"speaker": "T" if i % 2 == 0 else "C", "text": f"{i} {text}"}) + "\n")
    assert 19 * 2**20 < path.stat().st_size < 20 * 2**20
    with time_limit(300), measured() as m:
        session = read_session(path)
        segment_sessions([session])
    assert len(session.turns) == MAX_TURNS
    assert m["peak_mb"] < 2000, m
