"""Batch annotation: ingest -> segment -> classify -> timeline -> per-session documents.

`annotate_sessions` is the pure core (sessions in, annotation documents out). `annotate` adds
file handling: resumable, atomic, one bad file never stops the batch.
"""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import __version__
from .errors import InputError, UserError
from .model import Session
from .taxonomy import NONE
from .timeline import TimelineConfig, build_grid, build_moments, summarise
from .timeline.moments import TurnScore

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
    return {"name": getattr(classifier, "name_", classifier.kind), "kind": classifier.kind,
            "version": meta.get("weights_sha256", "")[:12] or __version__, "toolkit_version": __version__}


def annotate_sessions(sessions: Sequence[Session], classifier, timeline: TimelineConfig | None = None,
                      batch_size: int = 64, device: str = "cpu", progress: bool = False) -> list[dict[str, Any]]:
    """Score every turn of every session in one batched pass, then build each session's timeline."""
    taxonomy = classifier.taxonomy
    families = list(taxonomy.families)
    timeline = timeline or TimelineConfig.load(thresholds=classifier.rule_.family_thresholds)
    items, owners = [], []
    for k, s in enumerate(sessions):
        its = session_items(s)
        items.extend(its)
        owners.extend([k] * len(its))
    kwargs = {"batch_size": batch_size, "device": device, "progress": progress} if classifier.kind == "transformer" else {}
    probs = classifier.predict_proba(items, **kwargs)
    decisions = classifier.decide(probs)
    docs = []
    row = 0
    for s in sessions:
        n = len(s.turns)
        scored, turn_rows = [], []
        for i, t in enumerate(s.turns):
            d, r = decisions[row + i], row + i
            by_family = {}
            for fam in families:
                codes = [c for c in taxonomy.subtypes if taxonomy.subtype_family[c] == fam]
                by_family[fam] = max(codes, key=lambda c: probs.subtype[r, taxonomy.subtypes.index(c)])
            scores = {fam: round(float(probs.family[r, j + 1]), 4) for j, fam in enumerate(families)}
            if t.role == "client":
                scored.append(TurnScore(t.index, "client", scores, d.subtype, by_family, None, t.start, t.end))
                turn_rows.append({"scores": scores, "label": d.family, "subtype": d.subtype, "strategy": None})
            else:
                strategy = d.strategy if d.strategy and d.strategy != NONE else None
                scored.append(TurnScore(t.index, "therapist", {}, None, {}, strategy, t.start, t.end))
                turn_rows.append({"scores": {fam: None for fam in families}, "label": None, "subtype": None,
                                  "strategy": strategy,
                                  "strategy_score": round(1.0 - float(probs.strategy[r, 0]), 4)})
        row += n
        moments = build_moments(scored, families, timeline)
        grid = build_grid(scored, moments, families, timeline)
        docs.append(_document(s, classifier, turn_rows, moments, grid, summarise(moments, grid, families), timeline))
    return docs


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
                       "low_ratio": timeline.low_ratio, "max_gap": timeline.max_gap,
                       "segment_seconds": timeline.segment_seconds, "segment_turns": timeline.segment_turns},
    }


@dataclass
class BatchResult:
    documents: list[dict[str, Any]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[InputError] = field(default_factory=list)
    seconds: float = 0.0


def output_stem(path: Path, taken: dict[str, Path]) -> str:
    """The file's stem, made unique when two inputs in different folders share one."""
    stem = path.stem
    if stem in taken and taken[stem].resolve() != path.resolve():
        stem = f"{stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:6]}"
    taken[stem] = path
    return stem


def annotate(paths: Iterable[str | Path] | str | Path, out: str | Path | None = None, model: str = "default",
             classifier=None, timeline_config: str | Path | None = None, force: bool = False,
             device: str = "cpu", batch_size: int = 64, sessions_per_batch: int = 16, progress: bool = False,
             segmenter: str = "sentencizer", threads: int | None = None, **read_kwargs) -> BatchResult:
    """Annotate transcripts; with `out`, write per-session JSON/CSV/HTML and batch index files."""
    from .classify.registry import load_classifier
    from .ingest import expand_inputs, read_session
    from .report.writers import write_batch_index, write_session_outputs
    from .segment import segment_sessions

    started = time.time()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files, errors = expand_inputs(paths)
    result = BatchResult(failed=list(errors))
    if classifier is None:
        classifier = load_classifier(model, threads=threads) if model not in ("rules", "tfidf") else load_classifier(model)
        classifier.name_ = model
    timeline = TimelineConfig.load(timeline_config, thresholds=classifier.rule_.family_thresholds)
    out_dir = Path(out) if out else None
    taken: dict[str, Path] = {}
    todo: list[tuple[Path, str]] = []
    for f in files:
        stem = output_stem(f, taken)
        if out_dir and not force and (out_dir / f"{stem}.json").exists():
            result.skipped.append(f)
            continue
        todo.append((f, stem))
    try:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), desc="annotating", unit="session", disable=not progress)
    except ImportError:  # pragma: no cover
        bar = None
    for start in range(0, len(todo), sessions_per_batch):
        chunk = todo[start:start + sessions_per_batch]
        sessions, stems = [], []
        for f, stem in chunk:
            try:
                sessions.append(read_session(f, **read_kwargs))
                stems.append(stem)
            except InputError as err:
                result.failed.append(err)
        if sessions:
            segment_sessions(sessions, segmenter)
            docs = annotate_sessions(sessions, classifier, timeline, batch_size=batch_size, device=device)
            for doc, stem in zip(docs, stems):
                if out_dir:
                    result.written.append(write_session_outputs(doc, out_dir, stem))
                result.documents.append(doc)
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    if out_dir:
        write_batch_index(out_dir)
    result.seconds = round(time.time() - started, 2)
    return result


def run_annotate_cli(args, read_kwargs: dict[str, Any]) -> int:
    from .evaluation import format_table

    if args.device not in ("cpu", "cuda") and not args.device.startswith("cuda:"):
        raise UserError(f"--device must be cpu or cuda, got {args.device!r}")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda asked for, but no CUDA GPU is available")
    res = annotate(args.inputs, out=args.out, model=args.model, timeline_config=args.timeline_config, force=args.force,
                   device=args.device, batch_size=args.batch_size, progress=not args.quiet, threads=args.threads,
                   **read_kwargs)
    rows = [{"session": d["session"]["id"], "turns": d["session"]["n_turns"], "moments": d["summary"]["n_moments"],
             "withdrawal": d["summary"]["by_family"].get("withdrawal", 0),
             "confrontation": d["summary"]["by_family"].get("confrontation", 0),
             "resolved": d["summary"]["resolved"], "max_sig": d["summary"]["max_significance"]} for d in res.documents]
    if rows:
        print(format_table(rows))
    for f in res.skipped:
        print(f"skipped (already annotated; --force to redo): {f}")
    for err in res.failed:
        print(f"error: {err}", file=sys.stderr)
    out = Path(args.out)
    print(f"\n{len(res.documents)} annotated, {len(res.skipped)} skipped, {len(res.failed)} failed in {res.seconds:.1f} s")
    print(f"report: {(out / 'index.html').resolve()}")
    return 1 if res.failed else 0
