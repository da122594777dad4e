"""End-to-end `annotate` throughput against the model floor, in one process.

    .venv/bin/python benchmarks/bench_throughput.py --corpus DIR [--model DIR] [--int8] [--compile] [--classifier rules]

Pipeline: `pipeline.annotate.annotate` on the corpus files (read, segment, tokenise, score, build
timelines, write JSON/CSV/HTML and the index), with the model already loaded. Floor: the bare
model forward pass over the same tokenised inputs, in the same batches, in the same process
(tokenising and collating done beforehand, untimed): under the default `strategies:
repair_windows`, the client turns and the therapist turns the pipeline judges. The corpus is processed in groups of files,
floor and pipeline alternating (ABBA) group by group, so a machine that gets busier or quieter
mid-run moves both figures alike and their ratio holds.
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from common import emit, peak_rss_mb, resolve_model, table

from pipeline.timeline.moments import STRATEGY_MODES


def floor_batches(classifier, sessions, batch_size: int, per_session: bool = True, timeline=None) -> list[dict]:
    """The collated batches the classifier's forward pass sees for these sessions: with the
    timeline's `strategies: repair_windows`, a session's client turns and then the therapist turns
    it judges (found by scoring the session once, untimed), as `score_sessions` runs them."""
    import numpy as np

    from pipeline.annotate import score_sessions, session_items
    from pipeline.classify.inputs import collate

    groups = []
    for s in sessions:
        items = session_items(s)
        if timeline is not None and timeline.strategies == "repair_windows":
            judged = ~np.isnan(score_sessions([s], classifier, timeline=timeline)[0].strategy[:, 0])
            groups.append([it for it in items if it["role"] != "therapist"])
            groups.append([it for it, j in zip(items, judged) if it["role"] == "therapist" and j])
        else:
            groups.append(items)
    if not per_session:
        groups = [[i for g in groups for i in g]]
    batches = []
    for items in filter(None, groups):
        encoded = classifier._encode(items)
        for _, rows in classifier.batch_rows(encoded, batch_size):  # exactly the batches logits() runs
            batches.append(collate([encoded[i] for i in rows]))
    return batches


def time_floor(classifier, batches: list[dict]) -> float:
    import torch

    net = classifier.net_
    start = time.perf_counter()
    with torch.inference_mode():
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
    ap.add_argument("--bf16", action="store_true",
                    help="bf16 matrix products on AMX / AVX512-BF16 CPUs (annotate --bf16)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--group", type=int, default=10, help="files per alternation group (default 10)")
    ap.add_argument("--global-floor", action="store_true",
                    help="also time the floor with length buckets across each group's sessions (not per session)")
    ap.add_argument("--strategies", choices=STRATEGY_MODES, default=None,
                    help="therapist turns judged for a strategy (annotate --strategies; default: the timeline config)")
    ap.add_argument("--label", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    model = resolve_model(args.model)
    import torch

    from pipeline.annotate import annotate
    from pipeline.engines.work import ModelSpec, load_model
    from pipeline.ingest import read_session
    from pipeline.timeline import TimelineConfig

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
    timeline = TimelineConfig.load(thresholds=classifier.rule_.family_thresholds)
    strategies = args.strategies or timeline.strategies
    timeline = dataclasses.replace(timeline, strategies=strategies)
    run = dict(classifier=classifier, force=True, keep_documents=False, batch_size=args.batch_size,
               strategies=strategies)
    annotate(files[:1], out=scratch / "warmup", **run)  # one-time costs (spaCy, kernels) are not throughput

    pipeline_s = floor_s = global_s = 0.0
    turns = 0
    for k in range(0, len(files), args.group):
        group = files[k:k + args.group]
        sessions = [read_session(f) for f in group]
        turns += sum(len(s.turns) for s in sessions)
        batches = floor_batches(classifier, sessions, args.batch_size, timeline=timeline) if transformer else None
        order = ("floor", "pipeline") if (k // args.group) % 2 == 0 else ("pipeline", "floor")
        for what in order:
            if what == "floor" and batches is not None:
                floor_s += time_floor(classifier, batches)
            elif what == "pipeline":
                t = time.perf_counter()
                annotate(group, out=scratch / f"g{k}", **run)
                pipeline_s += time.perf_counter() - t
        if transformer and args.global_floor:
            global_s += time_floor(classifier, floor_batches(classifier, sessions, args.batch_size, per_session=False,
                                                             timeline=timeline))
        del batches
    precision = ("int8" if args.int8 else "bf16" if args.bf16 else "fp32") + (" compiled" if args.compile else "")
    label = args.label or (f"{precision} transformer" if transformer else f"{args.classifier} baseline")
    if transformer and strategies == "all":
        label += ", all strategies"
    result = {
        "label": label, "model": name, "strategies": strategies, "sessions": len(files), "turns": turns, "threads": torch.get_num_threads(),
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
