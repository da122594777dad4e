"""Which settings suit this machine: model forward turns/s for each thread count x batch size x
precision, on the same sessions, in one process (rounds repeated, best of each kept).

    .venv/bin/python benchmarks/bench_settings.py --corpus DIR [--model DIR] [--sessions 2]
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench_throughput import floor_batches, time_floor
from common import emit, resolve_model, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--sessions", type=int, default=2, help="sessions of the corpus to score (default 2)")
    ap.add_argument("--batch-sizes", default="8,16,32,64")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    model = resolve_model(args.model)
    import torch

    from pipeline.engines.work import ModelSpec, load_model
    from pipeline.ingest import read_session

    sessions = [read_session(p) for p in sorted(Path(args.corpus).glob("*.txt"))[: args.sessions]]
    turns = sum(len(s.turns) for s in sessions)
    cores = len(os.sched_getaffinity(0))
    threads = sorted({1, cores})
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    best: dict[tuple, float] = {}
    for precision in ("fp32", "int8"):
        clf = load_model(ModelSpec(str(model), "bench", None, precision == "int8"))
        batches = {b: floor_batches(clf, sessions, b) for b in sizes}
        time_floor(clf, batches[sizes[0]][:2])  # warm-up
        for _ in range(args.rounds):
            for n in threads:
                torch.set_num_threads(n)
                for b in sizes:
                    rate = turns / time_floor(clf, batches[b])
                    best[(precision, n, b)] = max(best.get((precision, n, b), 0.0), rate)
    rows = [{"precision": p, "threads": n, "batch_size": b, "forward_turns_per_s": round(r, 1)}
            for (p, n, b), r in best.items()]
    print(table(rows))
    emit({"rows": rows, "turns": turns}, args.json)


if __name__ == "__main__":
    main()
