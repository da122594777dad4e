"""Bad input: a clear error naming the file (and line), a non-zero exit, no traceback, nothing partial."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import read_sessions
from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.ingest import read_session

BAD = [
    ("empty.txt", None, "file is empty"),
    ("binary.txt", 3, "binary file"),
    ("invalid_utf8.txt", 2, "invalid UTF-8"),
    ("no_speakers.txt", None, "no speaker-prefixed lines"),
    ("one_speaker.txt", None, "only one speaker"),
    ("bad_timestamp.vtt", 6, "malformed cue timing"),
    ("bad_timestamp.srt", 6, "malformed cue timing"),
    ("missing_columns.csv", 1, "needs a speaker column"),
]


@pytest.mark.parametrize("name,line,message", BAD, ids=[b[0] for b in BAD])
def test_ingest_bad_file_raises_input_error(fixtures, name, line, message):
    path = fixtures / "bad" / name
    with pytest.raises(InputError) as info:
        read_session(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert message in str(err)
    assert str(err).startswith(f"{path}")


@pytest.mark.parametrize("name,line,message", BAD, ids=[b[0] for b in BAD])
def test_cli_ingest_bad_file_exits_nonzero_without_traceback(fixtures, tmp_path, capsys, name, line, message):
    out = tmp_path / "out"
    code = main(["ingest", str(fixtures / "bad" / name), "--out", str(out)])
    captured = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in captured.err
    assert name in captured.err and message in captured.err
    assert not out.exists() or not any(out.iterdir())  # nothing partial written


def test_cli_unknown_format_is_a_usage_error(fixtures):
    proc = subprocess.run([sys.executable, "-m", "pipeline", "ingest", str(fixtures / "good" / "turns.csv"),
                           "--format", "pdf"], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 2
    assert "invalid choice: 'pdf'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_api_unknown_format_names_the_choices(fixtures):
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        read_session(fixtures / "good" / "turns.csv", format="pdf")


def test_ingest_directory_with_good_and_bad_files_processes_the_good(fixtures, tmp_path, capsys):
    folder = tmp_path / "mixed dir"
    folder.mkdir()
    for name in ("turns.csv", "voice_tags.vtt"):
        (folder / name).write_bytes((fixtures / "good" / name).read_bytes())
    for name in ("empty.txt", "bad_timestamp.srt"):
        (folder / name).write_bytes((fixtures / "bad" / name).read_bytes())
    sessions, errors = read_sessions([folder])
    assert sorted(s.id for s in sessions) == ["turns", "voice_tags"]
    assert sorted(Path(e.path).name for e in errors) == ["bad_timestamp.srt", "empty.txt"]
    out = tmp_path / "out"
    code = main(["ingest", str(folder), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["turns.session.json", "voice_tags.session.json"]
    assert "2 file(s) ingested, 2 failed" in err and "Traceback" not in err


def test_ingest_refuses_a_50mb_transcript_quickly(tmp_path):
    big = tmp_path / "huge.txt"
    line = b"T: " + b"word " * 40 + b"\nC: " + b"reply " * 40 + b"\n"
    with open(big, "wb") as fh:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    with pytest.raises(InputError, match=r"over the 20 MB limit"):
        read_session(big)


def test_ingest_missing_file_and_glob_reported(tmp_path):
    sessions, errors = read_sessions([tmp_path / "nope.txt", str(tmp_path / "*.vtt")])
    assert sessions == []
    assert [e.message for e in errors] == ["no such file or directory", "pattern matched no files"]


def test_ingest_unknown_therapist_name_is_an_error(fixtures):
    with pytest.raises(InputError, match="speaker 'dr. who' given as therapist is not in this transcript"):
        read_session(fixtures / "good" / "turns.csv", therapist="Dr. Who")


def test_ingest_whisper_without_speakers_asks_for_diarisation(tmp_path):
    p = tmp_path / "whisper.json"
    p.write_text('{"segments": [{"id": 0, "seek": 0, "start": 0, "end": 2, "text": "hello"}]}')
    with pytest.raises(InputError, match="diarise first"):
        read_session(p)


def test_ingest_deeply_nested_json_is_refused(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError):
        read_session(p)


def test_ingest_errors_docx_claiming_an_unsupported_zip_version_is_an_input_error(fixtures, tmp_path):
    # A damaged header can claim a zip version Python's zipfile does not implement (it raises
    # NotImplementedError, not BadZipFile): still one clear error naming the file.
    data = bytearray((fixtures / "good" / "paragraphs.docx").read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 6:central + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    path = tmp_path / "damaged.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"damaged\.docx.*not a readable \.docx file"):
        read_session(path)
