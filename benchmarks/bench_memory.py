"""Memory of a large batch: the `rupture annotate` CLI over many sessions, its resident memory read
from /proc while it runs, at checkpoints (e.g. after 100, 500 and 1000 finished sessions).

    .venv/bin/python benchmarks/bench_memory.py --corpus DIR [--model DIR] [--checkpoints 100,500,1000]

Flat memory means the batch streams: one chunk of sessions in memory at a time, nothing kept per
finished session but a one-line summary.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, proc_status_mb, resolve_model, table


def finished(out_dir: Path) -> int:
    try:
        return sum(1 for e in os.scandir(out_dir) if e.name.endswith(".json") and not e.name.startswith("."))
    except FileNotFoundError:
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--checkpoints", default="100,500,1000")
    ap.add_argument("--extra", default="", help="extra CLI options, e.g. '--int8'")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    model = resolve_model(args.model)
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    n_files = len(list(Path(args.corpus).glob("*.txt")))
    out_dir = Path(tempfile.mkdtemp(prefix="rupture-memory-")) / "out"
    cli = [str(Path(sys.executable).with_name("rupture")), "annotate", args.corpus, "--out", str(out_dir),
           "--model", str(model), "--quiet", *args.extra.split()]
    started = time.perf_counter()
    proc = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows, peak, pending = [], 0.0, list(checkpoints)
    while proc.poll() is None:
        mem = proc_status_mb(proc.pid)
        peak = max(peak, mem.get("VmHWM", 0.0))
        done = finished(out_dir)
        while pending and done >= pending[0]:
            rows.append({"sessions_done": pending.pop(0), "rss_mb": round(mem.get("VmRSS", 0.0), 1),
                         "peak_rss_mb": round(mem.get("VmHWM", 0.0), 1),
                         "elapsed_s": round(time.perf_counter() - started, 1)})
        time.sleep(0.05)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"rupture annotate failed ({proc.returncode}): {err[-2000:]}")
    for c in pending:  # finished between two readings
        rows.append({"sessions_done": c, "rss_mb": None, "peak_rss_mb": round(peak, 1),
                     "elapsed_s": round(time.perf_counter() - started, 1)})
    print(table(rows))
    print(f"{n_files} sessions; peak RSS of the whole run {peak:.0f} MB")
    emit({"rows": rows, "sessions": n_files, "peak_rss_mb": round(peak, 1), "cli": " ".join(cli[1:])}, args.json)


if __name__ == "__main__":
    main()
