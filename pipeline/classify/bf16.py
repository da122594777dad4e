"""bf16: the encoder's matrix products in bf16, on CPUs that do them in hardware.

The encoder's linear layers become oneDNN layers with packed bf16 copies of their weights
(classify/onednn.py: the fp32 parameters stay): each rounds its input to bf16, accumulates in fp32
and returns bf16, with the feed-forward GELU fused in. Attention then runs on bf16 queries, keys
and values; the residual stream, the LayerNorms, the embeddings, the pooling and the heads stay
fp32. That is the arithmetic `torch.autocast` gives (up to where the fused GELU rounds), with the
weights converted and packed once rather than on every scoring call: on a 2-core Zen 4 the forward
pass over a 400-turn session took about 1.9 s against 2.1 s under autocast and 2.8 s in fp32
(medians of five, alternated), and its labels were closer to fp32's (docs/scale.md). On CPUs
with AMX or AVX512-BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and later) oneDNN runs these
products on the bf16 units; elsewhere bf16 would be emulated and slower than fp32, so it is refused
there with a clear message rather than silently slow.

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
    from .onednn import onednn_available

    if int8 or compile_encoder or getattr(classifier, "kind", None) != "transformer":
        return False
    if getattr(classifier, "compiled_", False) or getattr(classifier, "precision_", "fp32") != "fp32":
        return False
    return bf16_supported() and onednn_available()


def use_bf16(classifier) -> Any:
    """Score a loaded transformer classifier's encoder in bf16 on oneDNN (CPU), in place."""
    from ..errors import UserError
    from .base import require_transformer
    from .onednn import onednn_available, use_default_kernels, use_onednn

    require_transformer(classifier, "--bf16")
    if getattr(classifier, "precision_", "fp32") == "bf16":
        return classifier
    if getattr(classifier, "precision_", "fp32") == "int8":
        raise UserError("--bf16 and --int8 exclude each other: choose one")
    if getattr(classifier, "compiled_", False):
        raise UserError("--bf16 and --compile exclude each other: choose one")
    if not bf16_supported():
        raise UserError("--bf16 needs a CPU with AMX or AVX512-BF16 (this one has neither, and emulated bf16 "
                        "is slower than fp32); use --fp32 or --int8")
    if not onednn_available():
        raise UserError("--bf16 runs on oneDNN, which RUPTURE_ONEDNN=0 (or this PyTorch build) turns off; "
                        "use --fp32 or --int8")
    use_default_kernels(classifier)  # the fp32 oneDNN layers, if any, make way for bf16 ones
    use_onednn(classifier.net_.encoder, bf16=True)
    classifier.precision_ = "bf16"
    return classifier
