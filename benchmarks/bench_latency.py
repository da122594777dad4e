"""Start-up costs: import, model load (also in fresh processes, against the former imports), first
result for one session at the default precision and in fp32, int8 preparation, a cold CLI run, and
the default model's build time (read from its metrics.json, not rebuilt).

    .venv/bin/python benchmarks/bench_latency.py --session FILE [--model DIR]
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

from common import DEFAULT_MODEL, ROOT, emit, resolve_model, table  # noqa: E402


def build_seconds(model: Path) -> tuple[float | None, str]:
    """The default model's build time as recorded when it was built (models/default/metrics.json)."""
    for where in (DEFAULT_MODEL, model):
        path = where / "metrics.json"
        if path.exists():
            value = json.loads(path.read_text(encoding="utf-8")).get("build_seconds")
            if value is not None:
                return float(value), f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} build_seconds"
    return None, "no build_seconds recorded (models/default not built yet?)"


# Fresh processes time the model load alone: once as annotate does it, once after importing what
# the load imported before classify/bert.py and segment.py's factory guard (transformers' BERT
# model and tokenizer, and presidio through spaCy's entry points), the baseline of the ratio.
FRESH_LOAD = """
import sys, time
import torch
from pipeline.engines.work import ModelSpec, load_model
t = time.perf_counter()
if sys.argv[2] == "former":
    import spacy
    from transformers import AutoTokenizer, BertModel
    spacy.blank("en")
load_model(ModelSpec(sys.argv[1], "bench"))
print(time.perf_counter() - t)
"""


def fresh_load_seconds(model: Path, how: str) -> float:
    out = subprocess.run([sys.executable, "-c", FRESH_LOAD, str(model), how], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def abba(first: Callable[[], float], second: Callable[[], float]) -> tuple[float, float]:
    """Mean seconds of `first` and of `second` (each returns its own), run A-B-B-A so that the
    machine speeding up or slowing down does not pass for a difference between them."""
    times: tuple[list[float], list[float]] = ([], [])
    for k in (0, 1, 1, 0):
        times[k].append((first, second)[k]())
    return sum(times[0]) / 2, sum(times[1]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--session", required=True, help="one transcript (e.g. a 400-turn benchmark session)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    model = resolve_model(args.model)

    import torch  # noqa: F401  (the heavy imports a run needs, timed together)

    from pipeline.annotate import annotate
    from pipeline.classify.onednn import prefer_onednn, use_default_kernels
    from pipeline.classify.quantize import quantize_int8
    from pipeline.engines.work import ModelSpec, load_model

    import_s = time.perf_counter() - STARTED
    # The default precision first (what `rupture annotate` does with no option: bf16 on a CPU with
    # bf16 units, else fp32), then fp32 on its own, the reference.
    t = time.perf_counter()
    classifier = load_model(ModelSpec(str(model), "bench", args.threads, bf16=None))
    load_s = time.perf_counter() - t
    precision = getattr(classifier, "precision_", "fp32")
    scratch = Path(tempfile.mkdtemp(prefix="rupture-latency-"))

    runs = itertools.count()

    def run(clf) -> tuple[float, int]:
        """Seconds to annotate the session with `clf` as it is prepared, and its turns. Each run writes
        to a new folder (an old one would be skipped as finished); bf16=False: the default precision
        would turn the fp32 classifier into a bf16 one."""
        t = time.perf_counter()
        res = annotate([args.session], out=scratch / f"run-{next(runs)}", classifier=clf, keep_documents=False,
                       bf16=False)
        return time.perf_counter() - t, res.rows[0]["turns"]

    first_s, turns = run(classifier)
    fp32 = classifier if precision == "fp32" else load_model(ModelSpec(str(model), "bench", args.threads))
    fp32_first_s = run(fp32)[0] if fp32 is not classifier else first_s
    again_s, fp32_again_s = abba(lambda: run(classifier)[0], lambda: run(fp32)[0])
    kernel = getattr(fp32, "kernel_", None) or "PyTorch default"
    # fp32 on PyTorch's own linear layers (MKL on x86) against fp32 on `kernel`
    user_setting = os.environ.get("RUPTURE_ONEDNN")

    def run_on(kernels: str) -> float:
        os.environ["RUPTURE_ONEDNN"] = "0" if kernels == "default" else (user_setting or "1")  # annotate re-prepares
        (use_default_kernels if kernels == "default" else prefer_onednn)(fp32)
        return run(fp32)[0]

    fast_kernels_s, default_kernels_s = abba(lambda: run_on(kernel), lambda: run_on("default"))
    os.environ.pop("RUPTURE_ONEDNN")
    if user_setting is not None:
        os.environ["RUPTURE_ONEDNN"] = user_setting
    kernel_ratio = default_kernels_s / fast_kernels_s
    second = load_model(ModelSpec(str(model), "bench", args.threads))
    t = time.perf_counter()
    quantize_int8(second)
    int8_prep_s = time.perf_counter() - t
    run(second)
    int8_again_s = run(second)[0]
    cli = [str(Path(sys.executable).with_name("rupture")), "annotate", args.session, "--out", str(scratch / "cli"),
           "--model", str(model), "--quiet"]
    t = time.perf_counter()
    subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
    cli_s = time.perf_counter() - t
    fresh_now, fresh_former = abba(lambda: fresh_load_seconds(model, "now"), lambda: fresh_load_seconds(model, "former"))
    build_s, build_source = build_seconds(model)
    rows = [
        {"what": "import toolkit + torch", "seconds": round(import_s, 2)},
        {"what": "model load (default precision, with the spaCy segmenter)", "seconds": round(load_s, 2)},
        {"what": "model load in a fresh process (fp32; torch imported)", "seconds": round(fresh_now, 2),
         "ratio": f"with the former imports {fresh_former:.2f} s = {fresh_former / fresh_now:.2f}x (A-B-B-A)"},
        {"what": f"first result, one {turns}-turn session, model (and spaCy) loaded ({precision})",
         "seconds": round(first_s, 2)},
        {"what": f"same session again (warm; {precision})", "seconds": round(again_s, 2),
         "ratio": f"fp32 / {precision} = {fp32_again_s / again_s:.2f}x (A-B-B-A)"},
        {"what": "first result, --fp32 (fp32 loaded separately)", "seconds": round(fp32_first_s, 2)},
        {"what": f"same session, --fp32 (warm; matrix products on {kernel})", "seconds": round(fp32_again_s, 2)},
        {"what": "same session, fp32 on PyTorch's default kernels (RUPTURE_ONEDNN=0; warm)",
         "seconds": round(default_kernels_s, 2),
         "ratio": f"default fp32 / {kernel} fp32 = {kernel_ratio:.2f}x (A-B-B-A)"},
        {"what": "int8 preparation (quantise + compile kernels; disk-cached after the first run)",
         "seconds": round(int8_prep_s, 2)},
        {"what": "same session, --int8 (warm)", "seconds": round(int8_again_s, 2)},
        {"what": "cold CLI: `rupture annotate ONE_SESSION` process start to exit (default precision)",
         "seconds": round(cli_s, 2)},
        {"what": f"default model build time ({build_source})", "seconds": build_s},
    ]
    print(table(rows, ["what", "seconds", "ratio"]))
    emit({"rows": rows, "turns": turns, "model": str(model), "precision": precision}, args.json)


if __name__ == "__main__":
    main()
