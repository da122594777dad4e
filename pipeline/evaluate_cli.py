"""`rupture evaluate`: a model and its baselines side by side on any corpus in the schema."""
from __future__ import annotations

import json
from pathlib import Path

from .classify.augment import asr_style_item, asr_style_session
from .classify.registry import load_classifier, model_dir
from .corpus.schema import load_items
from .engines.work import prepare_model
from .errors import UserError
from .evaluation import evaluate_classifier, format_table, summary_row
from .io import atomic_write_text
from .timeline.moments import TimelineConfig


def run_evaluate(args) -> int:
    timeline_path = getattr(args, "timeline_config", None)
    # read before any scoring, so a bad file fails at once; each classifier's thresholds fill in `high`
    timeline = TimelineConfig.load(timeline_path)
    # the same kernels as `rupture annotate --fp32` (engines/work.py), so both print the same scores;
    # fp32 is the reference the model card reports, --bf16 scores as annotate does by default on CPUs
    # with bf16 units
    bf16 = getattr(args, "bf16", False)
    clf = prepare_model(load_classifier(args.model), bf16=bf16)
    taxonomy = clf.taxonomy
    items, _ = load_items(args.data, taxonomy)
    if args.split != "all":
        items = [i for i in items if i["split"] == args.split]
    if not items:
        raise UserError(f"no items in split {args.split!r} of {args.data or 'data/turns.jsonl'} (try --split all)")
    asr = getattr(args, "asr_style", False)
    if asr:
        items = [asr_style_item(i) for i in items]
    results = {"transformer" if clf.kind == "transformer" else clf.kind: evaluate_classifier(clf, items, taxonomy)}
    if not args.no_baselines and clf.kind == "transformer":
        base_dir = model_dir(args.model) if args.model != "default" else None
        for name in ("rules", "tfidf"):
            if (Path(base_dir or model_dir("default")) / "baselines" / name).exists():
                results[name] = evaluate_classifier(load_classifier(name, baseline_of=str(base_dir) if base_dir else None),
                                                    items, taxonomy)
    print(f"{len(items)} items ({args.split}) from {args.data or 'data/turns.jsonl'}"
          + (", re-written ASR-style (lower case, no punctuation)" if asr else "")
          + (", scored in bf16" if bf16 else ""))
    print(format_table([summary_row(n, m) for n, m in results.items()]))
    first = next(iter(results.values()))
    if "family" in first:
        print("\nfamily confusion (rows gold, columns predicted):", first["family"]["confusion"]["labels"])
        for lab, row in zip(first["family"]["confusion"]["labels"], first["family"]["confusion"]["matrix"]):
            print(f"  {lab:>14} {row}")
        print("\nper label:")
        for lab, v in first["family"]["per_label"].items():
            print(f"  {lab:>14} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} n={v['support']}")
        for lab, v in first.get("subtype", {}).get("per_label", {}).items():
            print(f"  {lab:>14} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} n={v['support']}")
    if args.sessions:
        from .corpus.schema import load_sessions
        from .timeline.episodes import annotate_golds, format_interval, match_episodes

        golds = [g for g in load_sessions(args.sessions) if args.split == "all" or g["split"] == args.split]
        if asr:
            golds = [asr_style_session(g) for g in golds]
        print(f"\nsession timelines: {len(golds)} gold sessions ({args.split}) from {args.sessions}"
              + (f", timeline settings from {timeline_path}" if timeline_path else ""))
        docs = {}
        for name in list(results):
            clf_n = clf if name in ("transformer", clf.kind) else load_classifier(
                name, baseline_of=str(model_dir(args.model)) if args.model != "default" else None)
            docs[name] = annotate_golds(clf_n, golds, timeline)
            ep = match_episodes(docs[name], golds) if golds else {}
            results[name]["episodes"] = ep
            if ep:
                print(f"  {name:>12}: episode recall {ep['recall']} {format_interval(ep['recall_ci95'])}, precision "
                      f"{ep['precision']} {format_interval(ep['precision_ci95'])}, resolution accuracy {ep['resolution_accuracy']} "
                      f"({ep['gold_episodes']} gold episodes, {ep['predicted_moments']} moments; 95% intervals "
                      "from resampling sessions)")
        if getattr(args, "second_coder", None):
            model_docs = docs[next(iter(results))]  # the model's, not its baselines'
            results["second_coder"] = second_coder_figures(golds, model_docs, args.second_coder)
    if asr:
        for metrics in results.values():
            metrics["text"] = "asr-style"
    if bf16 and "transformer" in results:
        results["transformer"]["precision"] = "bf16"
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=2))
        print(f"\nmetrics written to {args.out}")
    return 0


def second_coder_figures(golds: list[dict], docs: list[dict], path: str) -> dict:
    """Coder agreement next to the model's: the second coder against the gold (first) coder, the
    model (its documents for `golds`) against each, and the model's moments that either coder marked."""
    from .corpus.schema import load_sessions
    from .timeline.episodes import coder_agreement, confirmed_by_either, format_interval, match_episodes

    coded = {s["id"]: s for s in load_sessions(path)}
    keep = [k for k, g in enumerate(golds) if g["id"] in coded]
    if not keep:
        raise UserError(f"{path}: no session in it is among the gold sessions evaluated")
    golds, docs = [golds[k] for k in keep], [docs[k] for k in keep]
    second = [coded[g["id"]] for g in golds]
    figures = {"sessions": len(golds), "second_vs_first": coder_agreement(golds, second),
               "model_vs_first": match_episodes(docs, golds), "model_vs_second": match_episodes(docs, second),
               "model_confirmed_by_either": confirmed_by_either(docs, golds, second)}
    print(f"\nsecond coder ({path}, {len(golds)} of these sessions coded blind a second time):")
    for key, label in (("second_vs_first", "second coder vs gold"), ("model_vs_first", "model vs gold"),
                       ("model_vs_second", "model vs second coder")):
        ep = figures[key]
        print(f"  {label:>22}: recall {ep['recall']} {format_interval(ep['recall_ci95'])}, precision {ep['precision']} "
              f"{format_interval(ep['precision_ci95'])}, resolution agreement {ep['resolution_accuracy']} "
              f"({ep['gold_episodes']} reference episodes, {ep['predicted_moments']} marked)")
    either = figures["model_confirmed_by_either"]
    print(f"  model moments that either coder marked: {either['confirmed']} of {either['moments']} "
          f"({either['precision']})")
    return figures
