"""Smoke runs of the benchmark scripts on tiny inputs (the figures themselves come from `make bench`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

import corpus as bench_corpus  # noqa: E402


def _script(name: str, *args: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{name}.json"
    proc = subprocess.run([sys.executable, str(BENCH / name), *args, "--json", str(out)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()  # the small table
    return json.loads(out.read_text())


@pytest.mark.parametrize("source", ["gold-sessions", "auto"])
def test_bench_corpus_sessions_are_real_turns_with_exact_lengths(tmp_path, source):
    name, pool = bench_corpus.load_source(source)
    real = {text for transcript in pool for _, text in transcript}
    got_name, paths = bench_corpus.write_corpus(tmp_path, 3, 25, seed=3, source=source)
    assert got_name == name and len(paths) == 3
    from pipeline.ingest import read_session

    for p in paths:
        session = read_session(p)
        assert len(session.turns) == 25
        roles = [t.role for t in session.turns]
        assert all(a != b for a, b in zip(roles, roles[1:]))  # alternating, so no turns merged away
        assert all(t.text in real for t in session.turns)     # sampled, never made up
    again = bench_corpus.write_corpus(tmp_path / "again", 3, 25, seed=3, source=source)[1]
    assert [p.read_text() for p in again] == [p.read_text() for p in paths]  # seeded: reproducible


def test_bench_throughput_reports_pipeline_against_floor(tiny_model_dir, tmp_path):
    bench_corpus.write_corpus(tmp_path / "c", 3, 12, source="gold-sessions")
    r = _script("bench_throughput.py", "--corpus", str(tmp_path / "c"), "--model", str(tiny_model_dir), "--group", "2",
                tmp_path=tmp_path)
    assert r["sessions"] == 3 and r["turns"] == 36
    assert r["turns_per_s"] > 0 and r["floor_s"] > 0
    assert r["pipeline_over_floor"] == pytest.approx(r["pipeline_s"] / r["floor_s"], rel=0.01)
    assert r["peak_rss_mb"] > 50
    base = _script("bench_throughput.py", "--corpus", str(tmp_path / "c"), "--model", str(tiny_model_dir),
                   "--classifier", "rules", tmp_path=tmp_path)
    assert base["turns"] == 36 and base["floor_s"] is None and base["label"] == "rules baseline"


def test_bench_memory_reads_rss_at_checkpoints(tiny_model_dir, tmp_path):
    bench_corpus.write_corpus(tmp_path / "c", 6, 6, source="gold-sessions")
    r = _script("bench_memory.py", "--corpus", str(tmp_path / "c"), "--model", str(tiny_model_dir),
                "--checkpoints", "2,6", tmp_path=tmp_path)
    assert [row["sessions_done"] for row in r["rows"]] == [2, 6] and r["sessions"] == 6
    assert r["peak_rss_mb"] > 50


def test_bench_agreement_and_latency_run(tiny_model_dir, tmp_path):
    a = _script("bench_agreement.py", "--model", str(tiny_model_dir), "--data",
                str(ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl"), "--split", "all", tmp_path=tmp_path)
    assert a["n_client"] > 0 and 0 <= a["family"] <= 1
    [session] = bench_corpus.write_corpus(tmp_path / "one", 1, 10, source="gold-sessions")[1]
    lat = _script("bench_latency.py", "--session", str(session), "--model", str(tiny_model_dir), tmp_path=tmp_path)
    seconds = {r["what"].split(" (")[0].split(",")[0]: r["seconds"] for r in lat["rows"]}
    assert lat["turns"] == 10 and seconds["model load"] > 0 and seconds["cold CLI: `rupture annotate ONE_SESSION` process start to exit"] > 0
    # oneDNN against MKL, and the load against the former imports, each measured in the same run
    kernels, load = ([r for r in lat["rows"] if r.get("ratio", "").startswith(p)]
                     for p in ("default fp32 / ", "with the former"))
    assert len(kernels) == len(load) == 1 and kernels[0]["seconds"] > 0 and load[0]["seconds"] > 0


def test_bench_scripts_refuse_a_missing_model(tmp_path):
    proc = subprocess.run([sys.executable, str(BENCH / "bench_agreement.py"), "--model", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "no model at" in proc.stderr and "make model" in proc.stderr


def test_bench_floor_runs_the_turns_the_pipeline_judges(tiny_model_dir):
    import dataclasses

    import numpy as np

    from bench_throughput import floor_batches
    from pipeline.annotate import score_sessions
    from pipeline.classify.registry import load_classifier
    from pipeline.corpus.schema import load_sessions
    from pipeline.timeline import TimelineConfig
    from pipeline.timeline.episodes import gold_session_to_session

    clf = load_classifier(str(tiny_model_dir))
    sessions = [gold_session_to_session(g) for g in load_sessions()[:2]]
    # a low bar, so the tiny model's scores make moments and some therapist turns are judged
    windows = TimelineConfig(high=0.2, min_client_turns=1, strategies="repair_windows")
    judged = [int((~np.isnan(p.strategy[:, 0])).sum()) for p in score_sessions(sessions, clf, timeline=windows)]
    n_client = sum(t.role == "client" for s in sessions for t in s.turns)
    n_therapist = sum(len(s.turns) for s in sessions) - n_client
    assert n_client < sum(judged) < n_client + n_therapist

    def rows(timeline):
        return sum(int(b["input_ids"].shape[0]) for b in floor_batches(clf, sessions, 16, timeline=timeline))

    assert rows(windows) == sum(judged)
    assert rows(dataclasses.replace(windows, strategies="all")) == n_client + n_therapist


@pytest.mark.slow
def test_bench_run_all_quick_prints_every_figure(tiny_model_dir, tmp_path):
    out = tmp_path / "all.json"
    proc = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--model", str(tiny_model_dir), "--quick",
                           "--json", str(out)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "== Summary" in proc.stdout
    figures = {r["figure"] for r in json.loads(out.read_text())["summary"]}
    for wanted in ("fp32: end-to-end turns/s", "int8: end-to-end turns/s", "fp32: pipeline time / floor",
                   "rules baseline: end-to-end turns/s", "tfidf baseline: end-to-end turns/s",
                   "model load (default precision, with the spaCy segmenter), s", "repair-window strategies (default) / all strategies, end-to-end speed-up"):
        assert wanted in figures
    assert any(f.startswith("peak RSS, 60-session batch") for f in figures)
    assert any(f.startswith("int8 = fp32 family labels") for f in figures)


def test_bench_compare_times_two_models_on_the_same_turns(tiny_model_dir, tmp_path):
    r = _script("bench_compare.py", "--model-a", str(tiny_model_dir), "--model-b", str(tiny_model_dir),
                "--sessions", "1", "--rounds", "2", tmp_path=tmp_path)
    assert r["turns"] == 400 and r["a_turns_per_s"] > 0 and r["b_turns_per_s"] > 0
    assert r["b_over_a_speed"] == pytest.approx(r["b_turns_per_s"] / r["a_turns_per_s"], rel=0.01)
    assert 0.3 < r["b_over_a_speed"] < 3  # the same model against itself
