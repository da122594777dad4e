"""`--bf16`: fp32 weights, bf16 arithmetic on CPUs that do it in hardware.

The encoder's matrix products run under `torch.autocast("cpu", dtype=torch.bfloat16)`: on CPUs with
AMX or AVX512-BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and later) oneDNN runs them on the
bf16 units: on 2 cores about 2.2x the fp32 speed with AMX and 1.5x with AVX512-BF16 (Zen 4), and
the family labels agreed with fp32 on 99.9% of the seed test split (benchmarks/bench_agreement.py).
Elsewhere bf16 would be emulated and slower than fp32, so it is refused there with a clear message
rather than silently slow.

It is also the default precision for `annotate` on such CPUs (`default_bf16`): on 2 cores fp32 does
not score a 400-turn session within 3 s there, and bf16 changed no gold episode figure (docs/scale.md).
`--fp32` keeps the reference arithmetic.
"""
from __future__ import annotations

from typing import Any


def bf16_supported() -> bool:
    """True when this CPU multiplies bf16 in hardware (AMX tiles or AVX512-BF16)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = (getattr(cpu, "_is_amx_tile_supported", None), getattr(cpu, "_is_avx512_bf16_supported", None))
    return any(bool(check()) for check in checks if check is not None)


def default_bf16(classifier, int8: bool = False, compile_encoder: bool = False) -> bool:
    """Whether the default precision is bf16 for this classifier here: a plain fp32 transformer
    (not int8, not compiled, not prepared already), on a CPU with bf16 units. The caller has ruled
    out a GPU (there the default stays fp32)."""
    if int8 or compile_encoder or getattr(classifier, "kind", None) != "transformer":
        return False
    if getattr(classifier, "compiled_", False) or getattr(classifier, "precision_", "fp32") != "fp32":
        return False
    return bf16_supported()


def use_bf16(classifier) -> Any:
    """Mark a loaded transformer classifier to score under bf16 autocast (CPU), in place."""
    from ..errors import UserError
    from .base import require_transformer
    from .onednn import use_default_kernels, use_row_padding

    require_transformer(classifier, "--bf16")
    if getattr(classifier, "precision_", "fp32") == "int8":
        raise UserError("--bf16 and --int8 exclude each other: choose one")
    if not bf16_supported():
        raise UserError("--bf16 needs a CPU with AMX or AVX512-BF16 (this one has neither, and emulated bf16 "
                        "is slower than fp32); use fp32 (the default) or --int8")
    use_default_kernels(classifier)  # bf16 autocast needs PyTorch's own linear layers
    use_row_padding(classifier.net_.encoder)  # ... with few row counts: oneDNN keeps a kernel per count
    classifier.precision_ = "bf16"
    return classifier
