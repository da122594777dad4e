"""No network: the package puts the Hugging Face libraries offline itself, and the whole pipeline
(ingest, annotate, review, casebook) runs with every network call refused and none attempted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline_pipeline import casebook_available, run_whole_pipeline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT / "pipeline" / "samples" / "sample-session.txt"
DEFAULT_MODEL = ROOT / "models" / "default"
OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def _env_without_offline_vars() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARS}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_hardening_package_sets_offline_mode_itself():
    """A user who never heard of HF_HUB_OFFLINE still never reaches the hub: importing the package sets it,
    and the libraries read it when they load (after the package)."""
    code = ("import os, pipeline; import huggingface_hub.constants as c; from transformers.utils import hub; "
            f"print(repr([os.environ.get(v) for v in {OFFLINE_VARS!r}] + [c.HF_HUB_OFFLINE, hub.is_offline_mode()]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env_without_offline_vars(),
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == repr(["1", "1", "1", True, True])


def test_hardening_models_load_with_local_files_only():
    """Every from_pretrained call of the transformer classifier passes local_files_only=True."""
    source = (ROOT / "pipeline" / "classify" / "transformer.py").read_text(encoding="utf-8")
    calls = [line for line in source.splitlines() if ".from_pretrained(" in line and "cls" not in line
             and "TransformerTurnClassifier" not in line]
    assert calls and all("local_files_only=True" in line for line in calls), calls


def test_hardening_whole_pipeline_attempts_no_network_tiny_model(tiny_model_dir, tmp_path, fixtures):
    """In a fresh process without the offline variables, with an audit hook that refuses and records every
    socket, DNS and HTTP call: every stage finishes and not one call was attempted."""
    report = tmp_path / "report.json"
    inputs = [str(SAMPLE), str(fixtures / "good" / "voice_tags.vtt")]
    proc = subprocess.run([sys.executable, str(HERE / "offline_pipeline.py"), str(report), str(tiny_model_dir),
                           str(tmp_path / "work"), *inputs], capture_output=True, text=True,
                          env=_env_without_offline_vars(), cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(report.read_text())
    assert result["events"] == []
    assert result["offline"] == {v: "1" for v in OFFLINE_VARS}
    assert result["written"]["ingest"] == ["sample-session.session.json", "voice_tags.session.json"]
    assert "sample-session.html" in result["written"]["annotate"]
    if casebook_available():
        assert result["written"]["casebook"] == ["casebook.html", "casebook.jsonl", "casebook.md"]


def test_hardening_whole_pipeline_offline_with_the_real_default_model(tmp_path, fixtures):
    """Sockets are blocked for every test (tests/conftest.py); this runs the real default model (about
    15 s with the casebook, so not marked slow; skipped where models/default is not built)."""
    if not (DEFAULT_MODEL / "classifier.json").exists():
        pytest.skip(f"{DEFAULT_MODEL} is not built (make model); the tiny-model test above covers the mechanics")
    import socket

    with pytest.raises(RuntimeError, match="tried to (reach|resolve)"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # the block is really in place
    written = run_whole_pipeline([str(SAMPLE), str(fixtures / "good" / "turns.csv")], tmp_path, str(DEFAULT_MODEL))
    assert "sample-session.json" in written["annotate"] and "turns.json" in written["annotate"]
    doc = json.loads((tmp_path / "annotated" / "sample-session.json").read_text(encoding="utf-8"))
    assert doc["model"]["kind"] == "transformer" and doc["turns"]
    if casebook_available():
        assert written["casebook"] == ["casebook.html", "casebook.jsonl", "casebook.md"]
