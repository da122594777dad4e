"""Engines: the shared per-session work, --shard K/N, and the annotate options around them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.annotate import annotate, annotate_sessions, plan_tasks
from pipeline.cli import main
from pipeline.engines.shard import parse_shard, relative_keys, select_shard, shard_of
from pipeline.engines.work import check_device
from pipeline.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "pipeline" / "samples" / "sample-session.txt"
GOOD = ROOT / "tests" / "fixtures" / "good"


def _corpus(tmp_path: Path) -> Path:
    """The good fixtures in nested folders (two files share a stem on purpose: turns.csv, turns.jsonl)."""
    root = tmp_path / "corpus"
    for k, f in enumerate(sorted(GOOD.iterdir())):
        dest = root / f"site{k % 3}" / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    shutil.copy(SAMPLE, root / SAMPLE.name)
    return root


def test_shard_parse_accepts_k_of_n_and_rejects_the_rest():
    assert parse_shard("2/5") == (2, 5) and parse_shard(None) is None and parse_shard(" 1/1 ") == (1, 1)
    for bad in ("0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2"):
        with pytest.raises(UserError, match="--shard"):
            parse_shard(bad)


def test_shard_assignment_partitions_the_files_and_is_stable_when_moved(tmp_path):
    corpus = _corpus(tmp_path)
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    for n in (1, 2, 3, 7):
        chosen = [[f for f, mine in zip(files, select_shard(files, [corpus], (k, n))) if mine] for k in range(1, n + 1)]
        flat = [f for part in chosen for f in part]
        assert sorted(flat) == files and len(flat) == len(set(flat))  # every file in exactly one shard
    moved = tmp_path / "elsewhere" / "mounted"
    shutil.copytree(corpus, moved)
    moved_files = sorted(p for p in moved.rglob("*") if p.is_file())
    assert relative_keys(files, [corpus]) == relative_keys(moved_files, [moved])
    assert select_shard(files, [corpus], (2, 3)) == select_shard(moved_files, [moved], (2, 3))
    # Globs are keyed relative to their folder part, like folders.
    globbed = sorted(corpus.glob("site*/*"))
    assert relative_keys(globbed, [str(corpus / "site*" / "*")]) == relative_keys(globbed, [corpus])


def test_shard_of_spreads_files_evenly():
    counts = [0] * 4
    for i in range(4000):
        counts[shard_of(f"clinic-{i % 37}/session-{i:05d}.txt", 4) - 1] += 1
    assert min(counts) > 900 and max(counts) < 1100


def test_shards_together_write_exactly_what_one_run_writes(tiny_model_dir, tmp_path):
    corpus = _corpus(tmp_path)
    whole = tmp_path / "whole"
    res = annotate([corpus], out=whole, model=str(tiny_model_dir), keep_documents=False)
    assert not res.failed
    sharded = tmp_path / "sharded"
    written = []
    for k in (1, 2, 3):
        part = annotate([corpus], out=sharded, model=str(tiny_model_dir), shard=f"{k}/3", keep_documents=False)
        written.extend(p.name for p in part.written)
    assert sorted(written) == sorted(p.name for p in res.written)  # same names: stems fixed before sharding
    assert len(written) == len(set(written))
    for p in whole.glob("*.json"):
        assert (sharded / p.name).read_bytes() == p.read_bytes(), p.name


def test_plan_skips_finished_sessions_and_keeps_names(tmp_path):
    corpus = _corpus(tmp_path)
    out = tmp_path / "out"
    tasks, skipped, errors = plan_tasks([corpus], out, False, None)
    stems = [t.stem for t in tasks]
    assert not skipped and not errors and len(stems) == len(set(stems)) and "turns" in stems
    out.mkdir()
    (out / f"{stems[0]}.json").write_text("{}")
    again, skipped, _ = plan_tasks([corpus], out, False, None)
    assert [t.stem for t in again] == stems[1:] and len(skipped) == 1
    assert [t.order for t in again] == list(range(len(again)))


def test_session_scores_do_not_depend_on_the_other_sessions_in_the_batch(tiny_model_dir):
    from pipeline import read_sessions
    from pipeline.classify.registry import load_classifier

    clf = load_classifier(str(tiny_model_dir))
    sessions, _ = read_sessions([SAMPLE, GOOD / "whisperx.json", GOOD / "turns.csv", GOOD / "subtitles.srt"])
    together = annotate_sessions(sessions, clf, batch_size=8)
    for k, s in enumerate(sessions):
        assert annotate_sessions([s], clf, batch_size=8)[0] == together[k]


def test_annotate_keep_documents_false_keeps_only_summary_rows(tiny_model_dir, tmp_path):
    res = annotate([SAMPLE, GOOD / "turns.csv"], out=tmp_path / "o", model=str(tiny_model_dir), keep_documents=False)
    assert res.documents == [] and len(res.written) == 2
    assert [r["session"] for r in res.rows] == ["sample-session", "turns"]
    assert res.rows[0]["turns"] == 32 and set(res.rows[0]) >= {"moments", "withdrawal", "confrontation", "max_sig"}


def test_annotate_cli_shard_prints_only_its_sessions(tiny_model_dir, tmp_path, capsys):
    corpus = _corpus(tmp_path)
    total = 0
    for k in (1, 2):
        code = main(["annotate", str(corpus), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                     "--shard", f"{k}/2", "--quiet"])
        out = capsys.readouterr().out
        assert code == 0
        total += int(out.split(" annotated")[0].split()[-1])
    assert total == len(list((tmp_path / "o").glob("*.json"))) == len([p for p in corpus.rglob("*") if p.is_file()])


@pytest.mark.parametrize("argv, message", [
    (["--ray-address", "auto"], "--ray-address needs --engine ray"),
    (["--int8", "--device", "cuda"], "--int8 is CPU inference"),
    (["--shard", "3/2"], "--shard 3/2"),
    (["--device", "tpu"], "--device must be cpu or cuda"),
])
def test_annotate_cli_option_errors_are_one_clear_line(tiny_model_dir, tmp_path, capsys, argv, message):
    code = main(["annotate", str(SAMPLE), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_device_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="no CUDA GPU is available"):
        check_device("cuda")
    check_device("cpu")


def test_device_cuda_index_beyond_the_gpus_is_a_clear_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    check_device("cuda:0")
    with pytest.raises(UserError, match="only 1 CUDA device"):
        check_device("cuda:3")


def test_ray_engine_missing_is_a_clear_error(tiny_model_dir, tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    code = main(["annotate", str(SAMPLE), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                 "--engine", "ray", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'rupture-markers[ray]'" in err and "Traceback" not in err


def test_ray_address_that_nothing_answers_fails_fast():
    from pipeline.engines.ray_engine import check_reachable

    with pytest.raises(UserError, match="cannot reach the Ray cluster at 127.0.0.1:1"):
        check_reachable("127.0.0.1:1", timeout=2)
    with pytest.raises(UserError, match="expected HOST:PORT"):
        check_reachable("not-an-address")
    check_reachable("auto")  # left to Ray, which finds a local cluster or says there is none


def test_ray_pool_size_follows_the_cluster():
    from pipeline.engines.ray_engine import pool_size

    assert pool_size({"CPU": 8.0}, threads=2, n_tasks=100, device="cpu") == 4
    assert pool_size({"CPU": 8.0}, threads=1, n_tasks=3, device="cpu") == 3
    assert pool_size({"CPU": 1.0}, threads=4, n_tasks=3, device="cpu") == 1
    assert pool_size({"CPU": 16.0, "GPU": 2.0}, threads=1, n_tasks=50, device="cuda") == 2
    with pytest.raises(UserError, match="no GPU"):
        pool_size({"CPU": 16.0}, threads=1, n_tasks=5, device="cuda")


def test_rerun_with_everything_finished_refreshes_the_index_without_loading_a_model(tiny_model_dir, tmp_path,
                                                                                     monkeypatch):
    out = tmp_path / "o"
    annotate([SAMPLE, GOOD / "turns.csv"], out=out, model=str(tiny_model_dir), shard="1/2")
    annotate([SAMPLE, GOOD / "turns.csv"], out=out, model=str(tiny_model_dir), shard="2/2")
    (out / "index.html").unlink()

    def no_model(spec):
        raise AssertionError("a model was loaded with nothing to annotate")

    monkeypatch.setattr("pipeline.engines.work.load_model", no_model)
    res = annotate([SAMPLE, GOOD / "turns.csv"], out=out, model=str(tiny_model_dir))
    assert len(res.skipped) == 2 and not res.written
    index = (out / "index.html").read_text()
    assert "sample-session.html" in index and "turns.html" in index


def test_load_model_loads_the_segmenter_with_the_model(tiny_model_dir):
    """spaCy's start-up is part of loading, so the first session's result does not pay for it."""
    from pipeline.engines.work import ModelSpec, load_model
    from pipeline.segment import load_segmenter

    load_segmenter.cache_clear()
    load_model(ModelSpec(str(tiny_model_dir), "tiny", segmenter=None))
    assert load_segmenter.cache_info().currsize == 0
    load_model(ModelSpec(str(tiny_model_dir), "tiny"))
    assert load_segmenter.cache_info().currsize == 1
    hits = load_segmenter.cache_info().hits
    load_segmenter("sentencizer")  # what segment_sessions asks for: already there
    assert load_segmenter.cache_info().hits == hits + 1
