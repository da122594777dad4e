"""Batch annotation: ingest -> segment -> classify -> timeline -> per-session documents.

`annotate_sessions` is the pure core (sessions in, annotation documents out). `annotate` adds
file handling: resumable, atomic, one bad file never stops the batch.
"""
from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from . import __version__
from .classify.base import TurnProbabilities
from .errors import InputError, UserError
from .model import Session
from .taxonomy import NONE
from .timeline import TimelineConfig, build_grid, build_moments, summarise
from .timeline.moments import TurnScore, candidate_config, check_strategies_mode, repair_window_turns

SCHEMA_VERSION = "rupture-annotation/1.0"
QUOTES_NOTICE = "Contains transcript text (sensitive clinical data): store and share it as you would the transcript."


def session_items(session: Session, context_turns: int = 4) -> list[dict[str, Any]]:
    """Every turn as a classifier input with the turns before it as context."""
    turns = session.turns
    return [{"role": t.role, "text": t.text,
             "context": [{"role": c.role, "text": c.text} for c in turns[max(0, i - context_turns):i]]}
            for i, t in enumerate(turns)]


def _model_info(classifier) -> dict[str, Any]:
    meta = getattr(classifier, "meta_", {}) or {}
    info = {"name": getattr(classifier, "name_", classifier.kind), "kind": classifier.kind,
            "version": meta.get("weights_sha256", "")[:12] or __version__, "toolkit_version": __version__}
    if classifier.kind == "transformer":
        info["precision"] = getattr(classifier, "precision_", "fp32")  # int8 labels may differ slightly
    return info


def _rows(probs: TurnProbabilities, a: int, b: int) -> TurnProbabilities:
    return TurnProbabilities(family=probs.family[a:b], subtype=probs.subtype[a:b], strategy=probs.strategy[a:b],
                             roles=probs.roles[a:b])


def _unjudged(roles: list[str], classifier) -> TurnProbabilities:
    """Probabilities for turns with these roles, all NaN until filled: a NaN row is a turn the
    classifier did not judge."""
    t, n = classifier.taxonomy, len(roles)
    return TurnProbabilities(family=np.full((n, len(t.family_labels)), np.nan),
                             subtype=np.full((n, len(t.subtypes)), np.nan),
                             strategy=np.full((n, len(t.strategy_labels)), np.nan), roles=roles)


def _fill(probs: TurnProbabilities, rows: Sequence[int], part: TurnProbabilities) -> None:
    probs.family[rows], probs.subtype[rows], probs.strategy[rows] = part.family, part.subtype, part.strategy


def _therapist_turns_to_judge(session: Session, probs: TurnProbabilities, classifier,
                              timeline: TimelineConfig) -> list[int]:
    """The therapist turns in the repair windows of the moments that the client scores make, and of
    the shorter runs that a repair there could still make moments (`candidate_config`)."""
    turns = _turn_scores(session, probs, classifier)[0]
    candidates = build_moments(turns, classifier.taxonomy.families, candidate_config(timeline))
    return repair_window_turns(turns, candidates, timeline)


def _score_in_two_passes(session: Session, classifier, timeline: TimelineConfig, batch_size: int,
                         device: str) -> TurnProbabilities:
    """Client turns first; then only the therapist turns whose strategy can decide a moment's
    resolution (`repair_window_turns`). Moments and resolutions come out exactly as when every turn
    is judged: they read client scores and the strategies inside repair windows, nothing else."""
    items = session_items(session)
    probs = _unjudged([it["role"] for it in items], classifier)
    client = [i for i, it in enumerate(items) if it["role"] != "therapist"]
    _fill(probs, client, classifier.predict_proba([items[i] for i in client], batch_size=batch_size, device=device))
    need = _therapist_turns_to_judge(session, probs, classifier, timeline)
    if need:
        _fill(probs, need, classifier.predict_proba([items[i] for i in need], batch_size=batch_size, device=device))
    return probs


def _forget_outside_windows(session: Session, probs: TurnProbabilities, classifier,
                            timeline: TimelineConfig) -> TurnProbabilities:
    """The same result as two passes, for the baselines (they score every turn at once: it is cheap)."""
    keep = set(_therapist_turns_to_judge(session, probs, classifier, timeline))
    for r, t in enumerate(session.turns):
        if t.role == "therapist" and t.index not in keep:
            probs.family[r], probs.subtype[r], probs.strategy[r] = np.nan, np.nan, np.nan
    return probs


def score_sessions(sessions: Sequence[Session], classifier, batch_size: int = 16, device: str = "cpu",
                   progress: bool = False, timeline: TimelineConfig | None = None) -> list[TurnProbabilities]:
    """Calibrated probabilities, one TurnProbabilities per session (NaN rows: therapist turns left
    unjudged under `strategies: repair_windows`, the default timeline config).

    The transformer scores each session in its own length-bucketed batches: a session's numbers
    then depend on nothing but the session (not on which other files share its batch, a shard or
    an engine), which is what makes the local and Ray engines' outputs byte-identical. The
    baselines score all turns at once (their rows are independent anyway)."""
    timeline = (timeline or TimelineConfig.load()).with_model_thresholds(classifier.rule_.family_thresholds)
    windows_only = timeline.strategies == "repair_windows"
    if classifier.kind == "transformer":
        from tqdm.auto import tqdm

        return [_score_in_two_passes(s, classifier, timeline, batch_size, device) if windows_only
                else classifier.predict_proba(session_items(s), batch_size=batch_size, device=device)
                for s in tqdm(sessions, desc="scoring", unit="session", disable=not progress)]
    items, bounds = [], []
    for s in sessions:
        its = session_items(s)
        bounds.append((len(items), len(items) + len(its)))
        items.extend(its)
    probs = classifier.predict_proba(items)
    out = [_rows(probs, a, b) for a, b in bounds]
    if windows_only:
        out = [_forget_outside_windows(s, p, classifier, timeline) for s, p in zip(sessions, out)]
    return out


def annotate_sessions(sessions: Sequence[Session], classifier, timeline: TimelineConfig | None = None,
                      batch_size: int = 16, device: str = "cpu", progress: bool = False) -> list[dict[str, Any]]:
    """Score every turn of every session, then build each session's timeline and document (pure:
    sessions in, documents out)."""
    timeline = (timeline or TimelineConfig.load()).with_model_thresholds(classifier.rule_.family_thresholds)
    return [annotate_scored(s, probs, classifier, timeline)
            for s, probs in zip(sessions, score_sessions(sessions, classifier, batch_size, device, progress, timeline))]


def _turn_scores(s: Session, probs: TurnProbabilities, classifier) -> tuple[list[TurnScore], list[dict[str, Any]]]:
    """What the timeline reads of each turn, and each turn's fields in the document."""
    taxonomy = classifier.taxonomy
    families = list(taxonomy.families)
    codes_of = {fam: [taxonomy.subtypes.index(c) for c in taxonomy.subtypes if taxonomy.subtype_family[c] == fam]
                for fam in families}
    decisions = classifier.decide(probs)
    scored, turn_rows = [], []
    for r, t in enumerate(s.turns):
        d = decisions[r]
        if t.role == "client":
            by_family = {fam: taxonomy.subtypes[max(codes_of[fam], key=lambda k: probs.subtype[r, k])]
                         for fam in families}
            scores = {fam: round(float(probs.family[r, j + 1]), 4) for j, fam in enumerate(families)}
            scored.append(TurnScore(t.index, "client", scores, d.subtype, by_family, None, t.start, t.end))
            turn_rows.append({"scores": scores, "label": d.family, "subtype": d.subtype, "strategy": None})
        else:
            judged = not np.isnan(probs.strategy[r, 0])
            strategy = d.strategy if judged and d.strategy and d.strategy != NONE else None
            scored.append(TurnScore(t.index, "therapist", {}, None, {}, strategy, t.start, t.end))
            turn_rows.append({"scores": {fam: None for fam in families}, "label": None, "subtype": None,
                              "strategy": strategy,
                              "strategy_score": round(1.0 - float(probs.strategy[r, 0]), 4) if judged else None})
    return scored, turn_rows


def annotate_scored(s: Session, probs: TurnProbabilities, classifier, timeline: TimelineConfig) -> dict[str, Any]:
    """One session's document from its turns' probabilities."""
    families = list(classifier.taxonomy.families)
    scored, turn_rows = _turn_scores(s, probs, classifier)
    moments = build_moments(scored, families, timeline)
    grid = build_grid(scored, moments, families, timeline)
    return _document(s, classifier, turn_rows, moments, grid, summarise(moments, grid, families), timeline)


def _document(s: Session, classifier, turn_rows, moments, grid, summary, timeline: TimelineConfig) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "notice": QUOTES_NOTICE,
        "session": {"id": s.id, "source_file": s.source, "format": s.format,
                    "speakers": [{"label": sp.label, "role": sp.role, "role_source": sp.role_source,
                                  "role_confidence": sp.role_confidence} for sp in s.speakers],
                    "n_turns": len(s.turns), "duration": s.duration, "warnings": s.warnings},
        "model": _model_info(classifier),
        "families": list(classifier.taxonomy.families),
        "turns": [{"index": t.index, "speaker": t.speaker, "role": t.role, "start": t.start, "end": t.end,
                   "text": t.text, "sentences": t.sentences, **tr} for t, tr in zip(s.turns, turn_rows)],
        "moments": [m.to_dict() for m in moments],
        "segments": grid,
        "summary": summary,
        "parameters": {"high": {f: timeline.high_for(f) for f in classifier.taxonomy.families},
                       "low_ratio": timeline.low_ratio, "max_gap": timeline.max_gap, "both_ways": timeline.both_ways,
                       "min_client_turns": timeline.min_client_turns, "single_turn_peak": timeline.single_turn_peak,
                       "min_client_turns_repaired": timeline.min_client_turns_repaired,
                       "repair_start_ratio": timeline.repair_start_ratio,
                       "segment_seconds": timeline.segment_seconds, "segment_turns": timeline.segment_turns,
                       "strategies": timeline.strategies},
    }


@dataclass
class BatchResult:
    documents: list[dict[str, Any]] = field(default_factory=list)  # empty when keep_documents=False
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[InputError] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)        # one small summary per annotated session
    seconds: float = 0.0


# Stems of the batch-level files (index.html, summary.csv, NOTICE.txt): a session must not take them.
RESERVED_STEMS = {"index", "summary", "notice"}


def output_stem(path: Path, taken: dict[str, Path]) -> str:
    """The file's stem, made unique when two inputs in different folders share one, or when it would
    collide with a batch-level output file."""
    stem = path.stem
    if stem.lower() in RESERVED_STEMS or (stem in taken and taken[stem].resolve() != path.resolve()):
        stem = f"{stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:6]}"
    taken[stem] = path
    return stem


ENGINES = ("local", "ray")


def plan_tasks(paths: Sequence[str | Path], out_dir: Path | None, force: bool, shard: tuple[int, int] | None):
    """(tasks, skipped, errors): the files to annotate in this run. Output names are chosen over
    the whole corpus before sharding, so every shard names every file the same way."""
    from .engines.shard import select_shard
    from .engines.work import Task
    from .ingest import expand_inputs

    files, errors = expand_inputs(paths)
    taken: dict[str, Path] = {}
    stems = [output_stem(f, taken) for f in files]
    tasks, skipped = [], []
    for f, stem, mine in zip(files, stems, select_shard(files, paths, shard)):
        if not mine:
            continue
        if out_dir and not force and (out_dir / f"{stem}.json").exists():
            skipped.append(f)
            continue
        tasks.append(Task(len(tasks), str(f), stem))
    return tasks, skipped, errors


def annotate(paths: Iterable[str | Path] | str | Path, out: str | Path | None = None, model: str = "default",
             classifier=None, timeline_config: str | Path | None = None, force: bool = False,
             device: str = "cpu", batch_size: int | None = None, sessions_per_batch: int = 16, progress: bool = False,
             segmenter: str = "sentencizer", threads: int | None = None, engine: str = "local",
             ray_address: str | None = None, shard: str | tuple[int, int] | None = None, int8: bool = False,
             compile_encoder: bool = False, bf16: bool | None = None, keep_documents: bool = True,
             strategies: str | None = None, **read_kwargs) -> BatchResult:
    """Annotate transcripts; with `out`, write per-session JSON/CSV/HTML and batch index files.

    batch_size: turns per forward pass (default 16 on CPU, 128 on CUDA).
    engine: 'local' (this process) or 'ray' (Ray Data actors; `ray_address` joins an existing
    cluster, else a local instance is started). shard: 'K/N' annotates only this run's share of the
    files. int8: the transformer's encoder in int8 (CPU; `classifier` given is quantised in place).
    compile_encoder: the encoder through torch.compile (seconds to compile, then faster; for corpora).
    bf16: bf16 arithmetic on CPUs with AMX or AVX512-BF16 (fp32 weights); False: fp32, the reference
    arithmetic; None (default): bf16 where the CPU has those units and nothing else is asked (no
    int8, no compilation, not on a GPU), else fp32; a plain fp32 `classifier` given is changed in
    place, one prepared already is left as it is. Documents record the precision used.
    keep_documents=False keeps only `rows` in memory (what the CLI does: memory stays flat however
    many sessions there are). strategies: 'all' or 'repair_windows', overriding the timeline config
    (which therapist turns are judged for a strategy)."""
    from .engines.shard import parse_shard
    from .engines.work import ModelSpec, WorkOptions, check_device, default_batch_size, load_model, prepare_model
    from .report.writers import write_batch_index

    started = time.time()
    if engine not in ENGINES:
        raise UserError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if ray_address and engine != "ray":
        raise UserError("--ray-address needs --engine ray")
    if int8 and device != "cpu":
        raise UserError("--int8 is CPU inference (per-token int8 kernels); on a GPU use fp32")
    if bf16 and (int8 or device != "cpu"):
        raise UserError("--bf16 is CPU inference and excludes --int8" if device == "cpu"
                        else "--bf16 is CPU inference; on a GPU use fp32")
    if bf16 is None and device != "cpu":
        bf16 = False  # the default precision on a GPU is fp32
    shard = parse_shard(shard) if isinstance(shard, str) or shard is None else shard
    check_device(device, here=engine == "local")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    out_dir = Path(out) if out else None
    tasks, skipped, errors = plan_tasks(paths, out_dir, force, shard)
    result = BatchResult(failed=list(errors), skipped=skipped)
    options = WorkOptions(out_dir=str(out_dir) if out_dir else None, device=device,
                          batch_size=batch_size or default_batch_size(device),
                          segmenter=segmenter, read_kwargs=dict(read_kwargs), keep_documents=keep_documents)
    timeline = TimelineConfig.load(timeline_config)  # the model's thresholds fill in where it sets none
    if strategies is not None:
        timeline = dataclasses.replace(timeline, strategies=check_strategies_mode(strategies, "--strategies"))
    outcomes: Iterable = []
    if not tasks:
        pass  # all finished (or in other shards): no model to load; the index is still refreshed
    elif engine == "local":
        from .engines.local import run_local

        if classifier is None:
            classifier = load_model(ModelSpec(model, model, threads, int8, compile_encoder, bf16, segmenter))
        else:
            prepare_model(classifier, int8, bf16, compile_encoder)
        outcomes = run_local(tasks, classifier, timeline, options, sessions_per_batch, progress)
    else:
        from .engines.ray_engine import run_ray

        spec = None
        if classifier is None:
            _ensure_model_for_workers(model)
            spec = ModelSpec(model, model, threads, int8, compile_encoder, bf16, segmenter)
        elif compile_encoder:
            raise UserError("--compile on the Ray engine needs the model by name: each worker compiles its own copy")
        else:
            prepare_model(classifier, int8, bf16)
        outcomes = run_ray(tasks, spec, timeline, options, sessions_per_batch, ray_address, classifier, progress)
    for o in outcomes:
        if o.error is not None:
            result.failed.append(o.input_error())
            continue
        result.rows.append(o.row)
        if o.written:
            result.written.append(Path(o.written))
        if o.document is not None:
            result.documents.append(o.document)
    if out_dir:
        write_batch_index(out_dir)
    result.seconds = round(time.time() - started, 2)
    return result


def _ensure_model_for_workers(model: str) -> None:
    """The default model is built here, once, before any worker looks for it."""
    from .classify.registry import BASELINES, ensure_default_model

    if model == "default" or model in BASELINES:
        ensure_default_model()


def precision_choice(args) -> bool | None:
    """--bf16 -> True, --fp32 -> False, neither -> None (the default precision)."""
    if getattr(args, "fp32", False) and (getattr(args, "bf16", False) or getattr(args, "int8", False)):
        raise UserError("--fp32 excludes --bf16 and --int8: choose one precision")
    return True if getattr(args, "bf16", False) else False if getattr(args, "fp32", False) else None


def run_annotate_cli(args, read_kwargs: dict[str, Any]) -> int:
    from .evaluation import format_table

    res = annotate(args.inputs, out=args.out, model=args.model, timeline_config=args.timeline_config, force=args.force,
                   device=args.device, batch_size=args.batch_size, progress=not args.quiet, threads=args.threads,
                   engine=getattr(args, "engine", "local"), ray_address=getattr(args, "ray_address", None),
                   shard=getattr(args, "shard", None), int8=getattr(args, "int8", False),
                   compile_encoder=getattr(args, "compile", False), bf16=precision_choice(args),
                   keep_documents=False, strategies=getattr(args, "strategies", None),
                   **read_kwargs)
    if res.rows:
        print(format_table(res.rows))
    for f in res.skipped:
        print(f"skipped (already annotated; --force to redo): {f}")
    for err in res.failed:
        print(f"error: {err}", file=sys.stderr)
    out = Path(args.out)
    print(f"\n{len(res.rows)} annotated, {len(res.skipped)} skipped, {len(res.failed)} failed in {res.seconds:.1f} s")
    print(f"report: {(out / 'index.html').resolve()}")
    return 1 if res.failed else 0
