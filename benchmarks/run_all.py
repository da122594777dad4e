"""`make bench`: every benchmark, each in its own process, then one table of the figures and targets.

    .venv/bin/python benchmarks/run_all.py [--model DIR] [--quick] [--sessions 50 --turns 400]

Corpora are generated from real turns (benchmarks/corpus.py: AnnoMI when present, else the gold
sessions) into a temporary folder. Speeds are only comparable within one run on one machine;
the ratios (pipeline / floor, int8 / fp32) are what hold on a busy machine.
"""
from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import cpu_info, resolve_model, table
from corpus import write_corpus

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str, json_path: Path) -> dict:
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(json_path)]
    print(f"\n$ {' '.join(shlex.quote(c) for c in cmd[1:])}", flush=True)
    subprocess.run(cmd, check=True)
    return json.loads(json_path.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default models/default)")
    ap.add_argument("--quick", action="store_true", help="small corpora (a smoke run, not figures to quote)")
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--turns", type=int, default=400)
    ap.add_argument("--memory-sessions", type=int, default=1000)
    ap.add_argument("--memory-turns", type=int, default=16, help="turns per session of the memory batch (default 16)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: settings,fp32,all-strategies,int8,bf16,"
                                                "compiled,baselines,agreement,latency,memory")
    ap.add_argument("--json", default=None, help="write all figures here as JSON")
    args = ap.parse_args()
    if args.quick:
        args.sessions, args.turns, args.memory_sessions, args.memory_turns = 4, 60, 60, 8
    model = str(resolve_model(args.model))
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="rupture-bench-"))
    source, files = write_corpus(work / "corpus", args.sessions, args.turns, seed=7)
    write_corpus(work / "memory", args.memory_sessions, args.memory_turns, seed=11)
    checkpoints = sorted({max(1, args.memory_sessions // 10), args.memory_sessions // 2, args.memory_sessions})
    common = ["--model", model, "--batch-size", str(args.batch_size)]
    if args.threads:
        common += ["--threads", str(args.threads)]
    started = time.time()
    print(f"rupture-markers benchmarks: {cpu_info()}; Python {platform.python_version()}; model {model}")
    print(f"corpus: {args.sessions} sessions x {args.turns} turns of real turns ({source}); memory batch: "
          f"{args.memory_sessions} sessions x {args.memory_turns} turns (short sessions, to keep the run short)")
    res: dict[str, dict] = {}
    corpus = str(work / "corpus")
    if "settings" not in skip:
        res["settings"] = run("bench_settings.py", "--corpus", corpus, "--model", model,
                              json_path=work / "settings.json")
    if "fp32" not in skip:
        res["fp32"] = run("bench_throughput.py", "--corpus", corpus, *common, json_path=work / "fp32.json")
    if "all-strategies" not in skip:  # the reference: every therapist turn judged (annotate --strategies all)
        res["fp32-all-strategies"] = run("bench_throughput.py", "--corpus", corpus, *common, "--strategies", "all",
                                         json_path=work / "fp32-all.json")
    if "int8" not in skip:
        res["int8"] = run("bench_throughput.py", "--corpus", corpus, *common, "--int8", "--global-floor",
                          json_path=work / "int8.json")
    from pipeline.classify.bf16 import bf16_supported

    if "bf16" not in skip and bf16_supported():
        res["bf16"] = run("bench_throughput.py", "--corpus", corpus, *common, "--bf16", json_path=work / "bf16.json")
    for key, flags in (("fp32-compiled", ["--compile"]), ("int8-compiled", ["--int8", "--compile"])):
        if "compiled" not in skip:
            res[key] = run("bench_throughput.py", "--corpus", corpus, *common, *flags, json_path=work / f"{key}.json")
    if "baselines" not in skip:
        for name in ("rules", "tfidf"):
            res[name] = run("bench_throughput.py", "--corpus", corpus, *common, "--classifier", name,
                            json_path=work / f"{name}.json")
    if "agreement" not in skip:
        res["agreement"] = run("bench_agreement.py", "--model", model, json_path=work / "agreement.json")
    if "latency" not in skip:
        res["latency"] = run("bench_latency.py", "--session", str(files[0]), "--model", model,
                             json_path=work / "latency.json")
    if "memory" not in skip:
        res["memory"] = run("bench_memory.py", "--corpus", str(work / "memory"), "--model", model,
                            "--checkpoints", ",".join(map(str, checkpoints)), json_path=work / "memory.json")

    print(f"\n== Summary ({cpu_info()}; {time.time() - started:.0f} s; corpus {args.sessions} x {args.turns} "
          f"turns from {source}) ==")
    rows = summary_rows(res, args)
    print(table(rows, ["figure", "value", "target", "met"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": res, "summary": rows}, indent=1))


def _met(value, target: float, below: bool = False) -> str:
    if value is None:
        return "-"
    return "yes" if (value <= target if below else value >= target) else "NO"


def summary_rows(res: dict[str, dict], args) -> list[dict]:
    rows: list[dict] = []

    def add(figure, value, target=None, met="-"):
        rows.append({"figure": figure, "value": value, "target": target, "met": met})

    for key in ("fp32", "int8", "bf16", "fp32-compiled", "int8-compiled"):
        r = res.get(key)
        if not r:
            continue
        goal = {"fp32": 200, "int8": 400}.get(key.split("-")[0])
        add(f"{key}: end-to-end turns/s", r["turns_per_s"], f">= {goal}" if goal else None,
            _met(r["turns_per_s"], goal) if goal else "-")
        add(f"{key}: end-to-end sessions/s ({args.turns}-turn sessions)", r["sessions_per_s"])
        add(f"{key}: model floor turns/s (bare forward, same inputs)", r["floor_turns_per_s"])
        add(f"{key}: pipeline time / floor", r["pipeline_over_floor"], "<= 1.25", _met(r["pipeline_over_floor"], 1.25, True))
        add(f"{key}: peak RSS of the run, MB", r["peak_rss_mb"])
        if key.endswith("compiled"):
            add(f"{key}: model load + compile (once per process), s", r["load_s"])
    if res.get("int8", {}).get("global_floor_s"):
        r = res["int8"]
        add("per-session batches / batches across sessions (int8 forward time)",
            round(r["floor_s"] / r["global_floor_s"], 3))
    if res.get("fp32-all-strategies"):
        r = res["fp32-all-strategies"]
        add("fp32, every therapist turn judged (--strategies all): end-to-end turns/s", r["turns_per_s"])
        add("fp32, --strategies all: pipeline time / floor", r["pipeline_over_floor"])
        if res.get("fp32"):
            add("repair-window strategies (default) / all strategies, end-to-end speed-up",
                round(res["fp32"]["turns_per_s"] / r["turns_per_s"], 2))
    if res.get("fp32") and res.get("int8"):
        add("int8 / fp32 end-to-end speed-up", round(res["int8"]["turns_per_s"] / res["fp32"]["turns_per_s"], 2))
    for key in ("fp32", "int8"):
        if res.get(key) and res.get(f"{key}-compiled"):
            add(f"{key}: --compile / eager end-to-end speed-up",
                round(res[f"{key}-compiled"]["turns_per_s"] / res[key]["turns_per_s"], 2))
    for name in ("rules", "tfidf"):
        if res.get(name):
            add(f"{name} baseline: end-to-end turns/s", res[name]["turns_per_s"])
    a = res.get("agreement")
    if a:
        add(f"int8 = fp32 family labels ({a['split']} split, {a['n_client']} client turns)", a["family"], ">= 0.99",
            _met(a["family"], 0.99))
        add("int8 = fp32 subtypes / strategies", f"{a['subtype']} / {a['strategy']}")
        if a.get("bf16"):
            add("bf16 = fp32 family labels (same split)", a["bf16"]["family"], ">= 0.99", _met(a["bf16"]["family"], 0.99))
    for r in (res.get("latency") or {}).get("rows", []):
        add(r["what"] + ", s", f"{r['seconds']} ({r['ratio']})" if r.get("ratio") else r["seconds"])
    m = res.get("memory")
    if m:
        for r in m["rows"]:
            add(f"RSS after {r['sessions_done']} of {m['sessions']} sessions (peak so far), MB",
                f"{r['rss_mb']} ({r['peak_rss_mb']})")
        add(f"peak RSS, {m['sessions']}-session batch, MB", m["peak_rss_mb"], "< 2048", _met(m["peak_rss_mb"], 2048, True))
    s = res.get("settings")
    if s:
        for precision in ("fp32", "int8"):
            best = max((r for r in s["rows"] if r["precision"] == precision), key=lambda r: r["forward_turns_per_s"])
            add(f"fastest {precision} forward setting (threads, batch size)", f"{best['threads']}, {best['batch_size']}")
    return rows


if __name__ == "__main__":
    main()
