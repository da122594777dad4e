"""Two models' forward passes on the same real turns, in one process, alternating (ABBA).

    .venv/bin/python benchmarks/bench_compare.py --model-a DIR --model-b DIR [--sessions 3] [--rounds 4]

For questions like "how much faster is the new default than the old one": absolute turns/s move
with the machine from day to day; the ratio measured here, in one run, holds.
"""
from __future__ import annotations

import argparse
import random
import time

from common import emit, table
from corpus import load_source, make_session


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-a", required=True)
    ap.add_argument("--model-b", required=True)
    ap.add_argument("--sessions", type=int, default=3, help="400-turn sessions of real turns (default 3)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    import torch

    from pipeline.annotate import session_items
    from pipeline.classify.inputs import collate
    from pipeline.classify.registry import load_classifier

    torch.set_num_threads(args.threads)
    source, pool = load_source()
    rng = random.Random(7)
    items = []
    for _ in range(args.sessions):
        turns = make_session(pool, 400, rng)
        items += [{"role": role, "text": text,
                   "context": [{"role": r, "text": t} for r, t in turns[max(0, i - 4):i]]}
                  for i, (role, text) in enumerate(turns)]
    models = {"a": load_classifier(args.model_a), "b": load_classifier(args.model_b)}
    batches = {}
    for key, clf in models.items():
        encoded = clf._encode(items)
        batches[key] = [collate([encoded[i] for i in rows]) for _, rows in clf.batch_rows(encoded, args.batch_size)]
    seconds = {key: 0.0 for key in models}
    with torch.inference_mode():
        for key in models:  # warm-up
            for batch in batches[key][:5]:
                models[key].net_(**batch)
        for rnd in range(args.rounds):
            for key in (("a", "b") if rnd % 2 == 0 else ("b", "a")):
                start = time.perf_counter()
                for batch in batches[key]:
                    models[key].net_(**batch)
                seconds[key] += time.perf_counter() - start
    n = args.rounds * len(items)
    result = {"source": source, "turns": len(items), "rounds": args.rounds,
              "a": args.model_a, "a_turns_per_s": round(n / seconds["a"], 1),
              "b": args.model_b, "b_turns_per_s": round(n / seconds["b"], 1),
              "b_over_a_speed": round(seconds["a"] / seconds["b"], 3)}
    print(table([result]))
    emit(result, args.json)


if __name__ == "__main__":
    main()
