"""What int8 (and bf16) change: decided labels against fp32 on the seed corpus's test split.

    .venv/bin/python benchmarks/bench_agreement.py [--model DIR] [--data data/turns.jsonl] [--split test]
"""
from __future__ import annotations

import argparse
import json

from common import ROOT, emit, resolve_model, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(ROOT / "data" / "turns.jsonl"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    model = resolve_model(args.model)
    from pipeline.classify.bf16 import bf16_supported
    from pipeline.classify.quantize import KERNELS, label_agreement
    from pipeline.engines.work import ModelSpec, load_model

    with open(args.data, encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    items = [i for i in items if args.split == "all" or i.get("split") == args.split]
    fp32 = load_model(ModelSpec(str(model), "fp32")).predict(items, batch_size=32)
    int8 = load_model(ModelSpec(str(model), "int8", int8=True)).predict(items, batch_size=32)
    result = {"split": args.split, "items": len(items), "compiled_kernels": KERNELS.compiled,
              **label_agreement(fp32, int8)}
    if bf16_supported():  # bf16 only where the CPU does it in hardware (annotate --bf16 refuses elsewhere)
        bf16 = load_model(ModelSpec(str(model), "bf16", bf16=True)).predict(items, batch_size=32)
        result["bf16"] = label_agreement(fp32, bf16)
    rows = [{"precision": "int8", **{k: v for k, v in result.items() if k != "bf16"}}]
    if "bf16" in result:
        rows.append({"precision": "bf16", "split": args.split, "items": len(items), **result["bf16"]})
    print(table(rows))
    emit(result, args.json)


if __name__ == "__main__":
    main()
