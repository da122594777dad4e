"""The per-session work every engine runs: read, segment, score, build the timeline, write.

Engines differ only in where `process_chunk` runs (this process, or a Ray actor) and who loads
the model (`load_model`, the same function everywhere). Everything that crosses a process
boundary here is plain data (strings, numbers, dicts), so results pickle and Arrow-encode as is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, UserError

BASELINE_NAMES = ("rules", "tfidf")


@dataclass(frozen=True)
class ModelSpec:
    """How to load the classifier wherever the work runs: a model directory (or a baseline name)
    as the workers see it, the name written into documents, threads, precision, and the spaCy
    segmenter the work will use (loaded with the model: None to skip)."""

    model: str
    name: str
    threads: int | None = None
    int8: bool = False
    compile_encoder: bool = False
    bf16: bool | None = False  # None: the default precision (bf16 where the CPU has bf16 units)
    segmenter: str | None = "sentencizer"


@dataclass(frozen=True)
class WorkOptions:
    out_dir: str | None = None
    device: str = "cpu"
    batch_size: int = 16
    segmenter: str = "sentencizer"
    read_kwargs: dict[str, Any] = field(default_factory=dict)
    keep_documents: bool = True


@dataclass(frozen=True)
class Task:
    order: int    # position in the batch: results are reported in this order whatever the engine
    path: str     # as the user gave it (relative to the driver's folder, which Ray actors share)
    stem: str     # output file stem, chosen once for the whole corpus (before sharding)


@dataclass
class Outcome:
    order: int
    path: str
    stem: str
    written: str | None = None
    row: dict[str, Any] | None = None         # the one-line summary the CLI prints
    document: dict[str, Any] | None = None    # only with keep_documents
    error: dict[str, Any] | None = None       # InputError's fields (exceptions do not pickle cleanly)

    def input_error(self) -> InputError | None:
        if self.error is None:
            return None
        return InputError(self.error["path"], self.error["message"], self.error.get("line"))


def default_batch_size(device: str) -> int:
    """Turns per forward pass: 16 on CPU (the fastest on 2 cores for fp32 and int8 alike in
    benchmarks/bench_settings.py: small batches keep the feed-forward activations in cache), 128 on
    a GPU (which needs wide batches to be busy)."""
    return 128 if device.startswith("cuda") else 16


def check_device(device: str, here: bool = True) -> None:
    """cpu, cuda or cuda:N; with `here`, CUDA must be available in this process when asked for
    (a clear error, not a traceback). Ray workers check their own GPUs."""
    if device != "cpu" and device != "cuda" and not (device.startswith("cuda:") and device[5:].isdigit()):
        raise UserError(f"--device must be cpu or cuda, got {device!r}")
    if device.startswith("cuda") and here:
        import torch

        if not torch.cuda.is_available():
            raise UserError(f"--device {device} asked for, but no CUDA GPU is available to PyTorch here "
                            f"(torch {torch.__version__}; a CPU-only build, or no driver); use --device cpu")
        if ":" in device and int(device.split(":", 1)[1]) >= torch.cuda.device_count():
            raise UserError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) here")


def load_model(spec: ModelSpec):
    """The classifier named by `spec`, quantised to int8 and compiled when asked. Both engines load through here."""
    from ..classify.registry import load_classifier

    if spec.model in BASELINE_NAMES:
        classifier = load_classifier(spec.model)
    else:
        classifier = load_classifier(spec.model, threads=spec.threads)
    classifier.name_ = spec.name
    if spec.segmenter:
        from ..segment import load_segmenter

        # Loading spaCy (about 0.7 s) belongs to start-up, not to the first session's result; the
        # segmenter is cached, so the work below finds it ready.
        load_segmenter(spec.segmenter)
    return prepare_model(classifier, spec.int8, spec.bf16, spec.compile_encoder)


def prepare_model(classifier, int8: bool = False, bf16: bool | None = False, compile_encoder: bool = False):
    """The inference options on a loaded classifier, in place: int8 or bf16, then compilation
    (which must see the final modules). `load_model` and a classifier handed to `annotate` share it.
    bf16=None: the default precision, bf16 on a CPU with bf16 units (`default_bf16`), else fp32.
    Plain fp32 runs its matrix products on oneDNN where available (classify/onednn.py)."""
    from ..classify.bf16 import default_bf16
    from ..classify.onednn import prefer_onednn

    if bf16 is None:
        bf16 = default_bf16(classifier, int8, compile_encoder)
    if not (int8 or bf16 or compile_encoder):
        prefer_onednn(classifier)
    if int8:
        from ..classify.quantize import quantize_int8

        quantize_int8(classifier)
    if bf16:
        from ..classify.bf16 import use_bf16

        use_bf16(classifier)
    if compile_encoder:
        from ..classify.compiled import compile_encoder as compile_it

        compile_it(classifier)
    return classifier


def timeline_for(base, classifier):
    """The timeline parameters for this classifier: the config's, with the model's family
    thresholds where the config sets none (what TimelineConfig.load(path, thresholds) does)."""
    return base.with_model_thresholds(dict(classifier.rule_.family_thresholds))


def summary_row(doc: dict[str, Any]) -> dict[str, Any]:
    s = doc["summary"]
    return {"session": doc["session"]["id"], "turns": doc["session"]["n_turns"], "moments": s["n_moments"],
            **{f: s["by_family"].get(f, 0) for f in doc["families"]},
            "resolved": s["resolved"], "max_sig": s["max_significance"]}


def _error(task: Task, err: InputError) -> Outcome:
    return Outcome(task.order, task.path, task.stem,
                   error={"path": err.path or task.path, "message": err.message, "line": err.line})


def process_chunk(tasks: Sequence[Task], classifier, timeline, options: WorkOptions) -> list[Outcome]:
    """Annotate a few sessions: one spaCy pass over all their turns, scoring per session (so a
    session's numbers never depend on which others share its chunk), outputs written atomically.
    A file that cannot be read or written is reported in its Outcome; the others go on."""
    from ..annotate import annotate_sessions
    from ..ingest import read_session
    from ..report.writers import write_session_outputs
    from ..segment import segment_sessions

    outcomes: list[Outcome] = []
    sessions, ready = [], []
    for task in tasks:
        try:
            sessions.append(read_session(task.path, **options.read_kwargs))
            ready.append(task)
        except InputError as err:
            outcomes.append(_error(task, err))
    if sessions:
        segment_sessions(sessions, options.segmenter)
        docs = annotate_sessions(sessions, classifier, timeline, batch_size=options.batch_size, device=options.device)
        out_dir = Path(options.out_dir) if options.out_dir else None
        for task, doc in zip(ready, docs):
            written = None
            if out_dir is not None:
                try:
                    written = str(write_session_outputs(doc, out_dir, task.stem))
                except UserError as err:  # a full disk or an unwritable folder: this file fails, not the batch
                    outcomes.append(_error(task, InputError(task.path, str(err))))
                    continue
            outcomes.append(Outcome(task.order, task.path, task.stem, written=written, row=summary_row(doc),
                                    document=doc if options.keep_documents else None))
    outcomes.sort(key=lambda o: o.order)
    return outcomes
