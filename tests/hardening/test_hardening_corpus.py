"""The bad-input corpus: every broken or hostile file gives a correct parse or one clear InputError
naming the file (and line), within a time budget; the CLI exits non-zero without a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from guards import FILE_BUDGET_S, time_limit
from make_corpus import CORPUS, cases
from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.ingest import read_session
from pipeline.segment import segment_sessions, sentences_of

ROOT = Path(__file__).resolve().parents[2]
EXPECTED: dict[str, dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTED)
ERRORS = [n for n in NAMES if "error" in EXPECTED[n]]
PARSES = [n for n in NAMES if "error" not in EXPECTED[n]]


@pytest.fixture(scope="module", autouse=True)
def _warm_segmenter():
    """Load spaCy once, outside the per-file time budget."""
    sentences_of(["Warm up. The segmenter loads once."])


def test_hardening_corpus_every_file_has_an_expectation():
    on_disk = {p.name for p in CORPUS.iterdir()} - {"expected.yaml", "README.md"}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 40
    assert len(ERRORS) >= 20 and len(PARSES) >= 20


def test_hardening_corpus_files_match_their_generator():
    generated = cases()
    assert set(generated) == set(EXPECTED)
    stale = [name for name, data in generated.items() if (CORPUS / name).read_bytes() != data]
    assert not stale, f"run python tests/hardening/make_corpus.py (stale: {stale})"


def _all_text(session) -> str:
    return "\n".join(t.text for t in session.turns) + "\n" + "\n".join(s.label for s in session.speakers)


@pytest.mark.parametrize("name", ERRORS)
def test_hardening_corpus_bad_file_gives_one_clear_error(name):
    path = CORPUS / name
    want = EXPECTED[name]
    with time_limit(FILE_BUDGET_S), pytest.raises(InputError) as info:
        read_session(path)
    err = info.value
    assert err.path == str(path)
    assert want["error"] in err.message
    assert err.line == want["line"]
    assert str(err).startswith(str(path) + (f":{want['line']}" if want["line"] else "") + ": ")
    assert len(str(err)) < 400 and "\n" not in str(err)


@pytest.mark.parametrize("name", PARSES)
def test_hardening_corpus_odd_file_parses_correctly(name):
    path = CORPUS / name
    want = EXPECTED[name]
    with time_limit(FILE_BUDGET_S):
        session = read_session(path)
        segment_sessions([session])
    assert len(session.turns) == want["turns"]
    if "speakers" in want:
        assert {s.label: s.role for s in session.speakers} == want["speakers"]
    if "format" in want:
        assert session.format == want["format"]
    text = _all_text(session)
    for snippet in want.get("texts_contain", []):
        assert snippet in text
    for snippet in want.get("texts_exclude", []):
        assert snippet not in text
    if "warning" in want:
        assert any(want["warning"] in w for w in session.warnings)
    assert [t.index for t in session.turns] == list(range(len(session.turns)))
    assert all(t.sentences and t.text.strip() for t in session.turns)
    # Whatever was read can be written: no lone surrogates or other unencodable text.
    json.dumps(session.to_dict(), ensure_ascii=False).encode("utf-8")


def test_hardening_external_entity_is_not_resolved():
    session = read_session(CORPUS / "external_entity.docx")
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    text = _all_text(session)
    assert "&xxe;" not in text and (not hostname or hostname not in text)


def _run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_hardening_cli_ingest_whole_corpus_reports_each_bad_file_without_traceback(tmp_path):
    out = tmp_path / "out"
    proc = _run_cli("ingest", *[str(CORPUS / n) for n in NAMES], "--out", str(out))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    for name in ERRORS:
        line = EXPECTED[name]["line"]
        assert f"error: {CORPUS / name}{f':{line}' if line else ''}: " in proc.stderr, name
    assert f"{len(PARSES)} file(s) ingested, {len(ERRORS)} failed" in proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{Path(n).stem}.session.json" for n in PARSES)
    assert not list(out.glob(".*"))  # no temporary files left


def _main(args: list[str], capsys) -> tuple[int, str]:
    """The CLI in-process: its exit code and stderr (an uncaught exception fails the test)."""
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    return code, capsys.readouterr().err


def test_hardening_cli_exit_codes(tmp_path, capsys):
    vtt = str(CORPUS / "crlf_bom.vtt")
    assert _main(["ingest", vtt, "--out", str(tmp_path / "a")], capsys)[0] == 0
    code, err = _main(["ingest", str(CORPUS / "nested_10000.json"), "--out", str(tmp_path / "b")], capsys)
    assert code == 1 and "nested more than 32 levels" in err and not (tmp_path / "b").exists()
    code, err = _main(["ingest", vtt, "--no-such-option"], capsys)
    assert code == 2 and "unrecognized arguments" in err
    code, err = _main(["ingest", vtt, "--roles", "nonsense"], capsys)
    assert code == 2 and "--roles expects NAME=VALUE" in err
    (tmp_path / "a-file").write_text("not a folder")
    code, err = _main(["ingest", vtt, "--out", str(tmp_path / "a-file")], capsys)
    assert code == 2 and "cannot write" in err
    for bad_size in ("nan", "inf", "-1", "0", "lots"):
        code, err = _main(["ingest", vtt, "--max-mb", bad_size], capsys)
        assert code == 2 and "--max-mb: expected a number of megabytes above 0" in err, bad_size


def test_hardening_session_id_cannot_steer_output_paths(tmp_path, capsys):
    """A JSON transcript whose session id is '../../etc/passwd' is written under --out, by file name."""
    out = tmp_path / "deep" / "out"
    assert _main(["ingest", str(CORPUS / "session_id_traversal.json"), "--out", str(out)], capsys)[0] == 0
    assert [p.name for p in out.iterdir()] == ["session_id_traversal.session.json"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["session_id_traversal.session.json"]
    assert json.loads((out / "session_id_traversal.session.json").read_text())["id"] == "../../etc/passwd"
