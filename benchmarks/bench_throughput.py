"""End-to-end `annotate` throughput against the model floor, in one process.

    .venv/bin/python benchmarks/bench_throughput.py --corpus DIR [--model DIR] [--int8] [--compile] [--classifier rules]

Pipeline: `pipeline.annotate.annotate` on the corpus files (read, segment, tokenise, score, build
timelines, write JSON/CSV/HTML and the index), with the model already loaded. Floor: the bare
model forward pass over the same tokenised inputs, in the same batches, in the same process
(tokenising and collating done beforehand, untimed). The corpus is processed in groups of files,
floor and pipeline alternating (ABBA) group by group, so a machine that gets busier or quieter
mid-run moves both figures alike and their ratio holds.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import emit, peak_rss_mb, resolve_model, table


def floor_batches(classifier, sessions, batch_size: int, per_session: bool = True) -> list[dict]:
    """The collated batches the classifier's forward pass sees for these sessions."""
    from pipeline.annotate import session_items
    from pipeline.classify.inputs import collate

    groups = [session_items(s) for s in sessions] if per_session else [[i for s in sessions for i in session_items(s)]]
    batches = []
    for items in groups:
        encoded = classifier._encode(items)
        for _, rows in classifier.batch_rows(encoded, batch_size):  # exactly the batches logits() runs
            batches.append(collate([encoded[i] for i in rows]))
    return batches


def time_floor(classifier, batches: list[dict]) -> float:
    import torch

    net = classifier.net_
    start = time.perf_counter()
    with torch.inference_mode(), classifier.precision_context():
        for batch in batches:
            net(**batch)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, help="folder of benchmark sessions (benchmarks/corpus.py)")
    ap.add_argument("--model", default=None, help="model directory (default models/default)")
    ap.add_argument("--classifier", choices=["transformer", "rules", "tfidf"], default="transformer")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--compile", action="store_true", help="the encoder through torch.compile (annotate --compile)")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast on AMX / AVX512-BF16 CPUs (annotate --bf16)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--group", type=int, default=10, help="files per alternation group (default 10)")
    ap.add_argument("--global-floor", action="store_true",
                    help="also time the floor with length buckets across each group's sessions (not per session)")
    ap.add_argument("--label", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    model = resolve_model(args.model)
    import torch

    from pipeline.annotate import annotate
    from pipeline.engines.work import ModelSpec, load_model
    from pipeline.ingest import read_session

    name = str(model) if args.classifier == "transformer" else args.classifier
    start = time.perf_counter()
    if args.classifier == "transformer":
        classifier = load_model(ModelSpec(str(model), "bench", args.threads, args.int8, args.compile, args.bf16))
    else:
        from pipeline.classify.registry import load_classifier

        classifier = load_classifier(args.classifier, baseline_of=str(model))
        classifier.name_ = args.classifier
    load_s = time.perf_counter() - start
    files = sorted(Path(args.corpus).glob("*.txt"))
    transformer = args.classifier == "transformer"
    scratch = Path(tempfile.mkdtemp(prefix="rupture-bench-"))
    run = dict(classifier=classifier, force=True, keep_documents=False, batch_size=args.batch_size)
    annotate(files[:1], out=scratch / "warmup", **run)  # one-time costs (spaCy, kernels) are not throughput

    pipeline_s = floor_s = global_s = 0.0
    turns = 0
    for k in range(0, len(files), args.group):
        group = files[k:k + args.group]
        sessions = [read_session(f) for f in group]
        turns += sum(len(s.turns) for s in sessions)
        batches = floor_batches(classifier, sessions, args.batch_size) if transformer else None
        order = ("floor", "pipeline") if (k // args.group) % 2 == 0 else ("pipeline", "floor")
        for what in order:
            if what == "floor" and batches is not None:
                floor_s += time_floor(classifier, batches)
            elif what == "pipeline":
                t = time.perf_counter()
                annotate(group, out=scratch / f"g{k}", **run)
                pipeline_s += time.perf_counter() - t
        if transformer and args.global_floor:
            global_s += time_floor(classifier, floor_batches(classifier, sessions, args.batch_size, per_session=False))
        del batches
    precision = ("int8" if args.int8 else "bf16" if args.bf16 else "fp32") + (" compiled" if args.compile else "")
    label = args.label or (f"{precision} transformer" if transformer else f"{args.classifier} baseline")
    result = {
        "label": label, "model": name, "sessions": len(files), "turns": turns, "threads": torch.get_num_threads(),
        "batch_size": args.batch_size, "load_s": round(load_s, 3), "pipeline_s": round(pipeline_s, 4),
        "turns_per_s": round(turns / pipeline_s, 1), "sessions_per_s": round(len(files) / pipeline_s, 3),
        "floor_s": round(floor_s, 4) if transformer else None,
        "floor_turns_per_s": round(turns / floor_s, 1) if transformer else None,
        "pipeline_over_floor": round(pipeline_s / floor_s, 3) if transformer else None,
        "global_floor_s": round(global_s, 4) if global_s else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(table([result], ["label", "sessions", "turns", "threads", "pipeline_s", "turns_per_s", "sessions_per_s",
                           "floor_s", "pipeline_over_floor", "peak_rss_mb"]))
    emit(result, args.json)


if __name__ == "__main__":
    main()
