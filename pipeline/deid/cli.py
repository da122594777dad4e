"""`rupture deid-eval`: recall and precision of the de-identifier on the PII test set."""
from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("deid-eval", help="measure de-identification recall/precision on the PII test set",
                       description="Run the de-identifier over data/pii/pii_turns.jsonl (fictional turns with gold "
                                   "identifier spans) and report recall (identifiers fully removed) and precision.")
    p.add_argument("--data", default=None, help="PII set JSONL (default data/pii/pii_turns.jsonl)")
    p.add_argument("--split", default="all", choices=["dev", "test", "fresh", "all"],
                   help="dev (tuned on), test (held out, looked at once), fresh (written after tuning); default all")
    p.add_argument("--config", default=None, help="de-identification config (default configs/deid.yaml)")
    p.add_argument("--no-speaker-names", action="store_true",
                   help="do not use the speaker labels' names (measures the recognisers alone)")
    p.add_argument("--show", type=int, default=20, help="list this many misses and false alarms (default 20)")
    p.add_argument("--out", help="also write the full result as JSON here")
    p.set_defaults(func=run_deid_eval)


def run_deid_eval(args: argparse.Namespace) -> int:
    import json

    from ..io import atomic_write_text
    from .engine import Deidentifier
    from .evaluate import evaluate, format_report
    from .pii_set import TURNS, load_pii_set

    records = load_pii_set(args.data or TURNS)
    if args.split != "all":
        records = [r for r in records if r.get("split") == args.split]
    result = evaluate(records, Deidentifier(args.config), use_speaker_names=not args.no_speaker_names)
    print(f"PII set: {len(records)} turns ({args.split})")
    print(format_report(result, show=args.show))
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0
