"""Crash safety: `rupture annotate` killed with SIGKILL mid-batch leaves no corrupt or partial
output; a rerun finishes the rest without redoing finished sessions and equals an uninterrupted run.
Atomic writes never leave a half-written target, and their stale temporary files are swept."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from pipeline.errors import UserError
from pipeline.io import atomic_write_bytes, sweep_stale_temp_files
from pipeline.report.writers import write_batch_index

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "pipeline" / "schemas" / "annotation-1.0.schema.json").read_text())
N_SESSIONS = 20

# Fictional lines written for these tests; no real client or therapist.
_THERAPIST = ["How has the week been?", "What would make today useful for you?", "It sounds like that was hard.",
              "I wonder if I pushed too hard just now.", "Shall we look at the plan for next week?"]
_CLIENT = ["Fine. Nothing to report.", "I don't see the point of this, honestly.", "Whatever. Can we move on?",
           "It was a good week, I went for a walk twice.", "You always say that and nothing changes."]


def _write_sessions(folder: Path, n: int = N_SESSIONS) -> None:
    folder.mkdir(parents=True)
    for k in range(n):
        lines = ["# Fictional session written for the rupture-markers crash tests."]
        for i in range(6 + k % 5):
            who, pool = ("T", _THERAPIST) if i % 2 == 0 else ("C", _CLIENT)
            lines.append(f"[00:{i:02d}:{k % 60:02d}] {who}: {pool[(i + k) % len(pool)]}")
        (folder / f"s{k:02d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cmd(inp: Path, out: Path, model: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "annotate", str(inp), "--out", str(out), "--model", str(model),
            "--quiet", "--threads", "1"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _finished(out: Path) -> set[str]:
    return {p.stem for p in out.glob("s*.json")}


def _check_no_partial_files(out: Path) -> None:
    """Whatever exists is whole: JSON parses and validates, CSV parses, HTML is complete."""
    for p in out.glob("*.json"):
        jsonschema.validate(json.loads(p.read_text(encoding="utf-8")), SCHEMA)
    for p in out.glob("*.csv"):
        rows = list(csv.DictReader(p.open(encoding="utf-8")))
        assert rows and all(None not in r for r in rows), p
    for p in out.glob("*.html"):
        assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p


def test_hardening_annotate_killed_mid_batch_then_rerun_equals_uninterrupted(tiny_model_dir, tmp_path):
    inp = tmp_path / "in"
    _write_sessions(inp)
    ref, out = tmp_path / "ref", tmp_path / "out"
    done = subprocess.run(_cmd(inp, ref, tiny_model_dir), capture_output=True, text=True, env=_env(), timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(_finished(ref)) == N_SESSIONS

    proc = subprocess.Popen(_cmd(inp, out, tiny_model_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env())
    deadline = time.monotonic() + 600
    while not _finished(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    finished = _finished(out)
    assert 0 < len(finished) < N_SESSIONS
    _check_no_partial_files(out)
    stamps = {p.name: p.stat().st_mtime_ns for stem in finished for p in out.glob(f"{stem}.*")}

    again = subprocess.run(_cmd(inp, out, tiny_model_dir), capture_output=True, text=True, env=_env(), timeout=600)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert f"{N_SESSIONS - len(finished)} annotated, {len(finished)} skipped, 0 failed" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for stem in finished for p in out.glob(f"{stem}.*")} == stamps
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"
    _check_no_partial_files(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in ref.iterdir())
    for p in ref.glob("*.json"):
        rerun = json.loads((out / p.name).read_text(encoding="utf-8"))
        assert rerun == json.loads(p.read_text(encoding="utf-8")), p.name
    for name in ("summary.csv", "index.html", "NOTICE.txt"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_hardening_stale_temp_files_swept_live_ones_kept(tmp_path):
    dead = tmp_path / f".s01.json.{_dead_pid()}.k2j3h4.tmp"
    live = tmp_path / f".s02.json.{os.getppid()}.a8b9c0.tmp"
    unrelated = tmp_path / ".notes.tmp"
    for p in (dead, live, unrelated):
        p.write_text("partial")
    assert sweep_stale_temp_files(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unrelated.exists()
    write_batch_index(tmp_path)  # the batch's last step sweeps too
    assert live.exists()


def test_hardening_atomic_write_failure_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "doc.json"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(UserError, match="cannot write .*doc.json: No space left on device"):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_hardening_atomic_write_killed_midway_leaves_old_file(tmp_path):
    """A writer killed while writing 400 MB leaves the target as it was (and only a temp file)."""
    target = tmp_path / "doc.json"
    target.write_text("old")
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from pipeline.io import atomic_write_bytes; "
            "atomic_write_bytes(sys.argv[1], b'x' * (400 * 2**20))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target), str(ROOT)])
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".doc.json.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_text() == "old"
    left = list(tmp_path.glob(".doc.json.*.tmp"))
    assert len(left) == 1 and sweep_stale_temp_files(tmp_path) == left
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
