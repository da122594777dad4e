"""fp32 inference on CPU through oneDNN's matrix kernels instead of MKL's.

PyTorch runs `nn.Linear` on CPU with MKL's sgemm. On AMD CPUs MKL does not take its fastest
code path: on a 2-core AMD EPYC with AVX-512, for MiniLM's shapes (about 1,400 tokens x 384 x
1,536), one linear layer took 1.1-1.45x as long on MKL as on oneDNN with a pre-packed weight, and
a whole 400-turn session 1.10-1.24x (docs/scale.md). oneDNN ships inside every x86 PyTorch wheel,
as `torch.ops.mkldnn`. The arithmetic stays fp32; only the order of the additions changes, so
probabilities move by about 1e-6 (a 400-turn session's written scores and labels were identical).
The feed-forward GELU (exact, erf) is fused into the first feed-forward layer as oneDNN's
post-op, which saves one pass over the largest activations.

The same layers run `--bf16` (and the default precision on CPUs with bf16 units): packed bf16
copies of the weights, bf16 inputs and outputs, fp32 accumulation (classify/bf16.py).

The swap is for inference only, and each layer falls back to `F.linear` whenever the fast path
does not apply: gradients on, input not on the CPU, or autocast on. The packed weight is
built on first use and never pickled (a Ray worker re-packs its own), so `state_dict`, saving and
moving the model to a GPU behave as before. `RUPTURE_ONEDNN=0` keeps MKL everywhere.
"""
from __future__ import annotations

import functools
import os
from typing import Any

import torch
from torch import nn

from .quantize import plain_gelu

# The row count oneDNN lays the packed weight out for: a batch of 16 turns of ~64 tokens. Any other
# row count still works (and gives the same numbers); this is only the layout's sweet spot.
PACK_ROWS_HINT = 1024
# oneDNN builds (JIT-compiles) a kernel for every new row count and keeps it; with batches of every
# length, a long run met thousands of row counts and its memory grew without bound (+0.3 MB per
# new count, and gigabytes once its kernel cache began to evict). Rows are padded with zeros to a
# multiple of ROW_STEP, so a run meets at most a few dozen row counts (1,792 rows / 64 = 28),
# at about 2% more arithmetic.
ROW_STEP = 64


def onednn_available() -> bool:
    """oneDNN's fp32 linear kernel is usable here, and not switched off with RUPTURE_ONEDNN=0."""
    return os.environ.get("RUPTURE_ONEDNN", "1") != "0" and _onednn_works()


@functools.lru_cache(maxsize=None)
def _onednn_works() -> bool:
    if not torch.backends.mkldnn.is_available() or not hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        return False
    try:  # a private op: prove it works (and agrees with F.linear) before trusting it, once per process
        # fixed values, not torch.randn: probing must not move the caller's random number stream
        x, w, b = (torch.linspace(-2, 2, 24).reshape(3, 8), torch.linspace(-1, 1, 32).reshape(4, 8),
                   torch.linspace(-0.5, 0.5, 4))
        packed = torch.ops.mkldnn._reorder_linear_weight(w, 3)
        got = torch.ops.mkldnn._linear_pointwise(x, packed, b, "gelu", [], "none")
        return bool(torch.allclose(got, nn.functional.gelu(nn.functional.linear(x, w, b)), atol=1e-4))
    except (RuntimeError, AttributeError, TypeError):
        return False


def pad_rows(rows: torch.Tensor) -> tuple[torch.Tensor, int]:
    """`rows` with zero rows added up to a multiple of ROW_STEP, and the real row count. Each output
    row of a linear layer depends on its own input row only, so the real rows' results are the same."""
    n = rows.shape[0]
    padded = -(-n // ROW_STEP) * ROW_STEP
    return (nn.functional.pad(rows, (0, 0, 0, padded - n)) if padded != n else rows), n


def _swap_layers(module: nn.Module, match, make) -> int:
    """Replace every layer inside `module` for which match(layer) holds with make(parent, layer), in
    place; return how many."""
    count = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if match(child):
                setattr(parent, name, make(parent, child))
                count += 1
    return count


def _swap_plain_linear(module: nn.Module, make) -> int:
    """Replace every plain nn.Linear inside `module` with make(layer), in place; return how many."""
    return _swap_layers(module, lambda child: type(child) is nn.Linear, lambda parent, child: make(child))


class OneDnnLinear(nn.Linear):
    """An nn.Linear (same parameters, same state_dict keys) whose inference forward runs on oneDNN,
    optionally with exact GELU fused in (`gelu=True`: the layer then returns GELU(xW + b)).

    bf16=True (classify/bf16.py): the packed weight and bias are bf16 copies (the fp32 parameters
    stay as they are), the input is rounded to bf16 and the output is bf16, with fp32 accumulation
    inside oneDNN: the arithmetic `torch.autocast` gives a linear layer, with the weight converted
    and packed once."""

    def __init__(self, linear: nn.Linear, gelu: bool = False, bf16: bool = False):
        nn.Module.__init__(self)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight, self.bias = linear.weight, linear.bias
        self.gelu, self.bf16 = gelu, bf16
        self._packed: torch.Tensor | None = None
        self._packed_bias: torch.Tensor | None = None

    def _fast(self, x: torch.Tensor) -> bool:
        return (x.device.type == "cpu" and self.weight.device.type == "cpu"
                and x.dtype in ((torch.float32, torch.bfloat16) if self.bf16 else (torch.float32,))
                and not torch.is_grad_enabled() and not torch.is_autocast_enabled("cpu"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._fast(x):
            y = nn.functional.linear(x, self.weight, self.bias)
            return nn.functional.gelu(y) if self.gelu else y
        if self._packed is None:
            weight, bias = self.weight.detach(), None if self.bias is None else self.bias.detach()
            if self.bf16:
                weight, bias = weight.to(torch.bfloat16), None if bias is None else bias.to(torch.bfloat16)
            self._packed = torch.ops.mkldnn._reorder_linear_weight(weight, PACK_ROWS_HINT)
            self._packed_bias = bias
        rows, n = pad_rows(x.reshape(-1, self.in_features).to(torch.bfloat16 if self.bf16 else torch.float32))
        y = torch.ops.mkldnn._linear_pointwise(rows, self._packed, self._packed_bias,
                                               "gelu" if self.gelu else "none", [], "none" if self.gelu else "")
        return y[:n].reshape(*x.shape[:-1], self.out_features)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # oneDNN's blocked tensors do not pickle; re-packed on first use
        state["_packed"] = state["_packed_bias"] = None
        return state

    def extra_repr(self) -> str:
        return (super().extra_repr() + (", fused=gelu" if self.gelu else "") + (", bf16" if self.bf16 else "")
                + ", kernel=onednn")


def use_onednn(module: nn.Module, bf16: bool = False) -> int:
    """Swap the Linear layers inside a BERT-style `module` for OneDnnLinear (bf16 ones with
    bf16=True), in place; return how many. A feed-forward block with exact GELU gets it fused into
    its first layer."""
    count = 0
    for layer in getattr(getattr(module, "encoder", None), "layer", []):
        inter = getattr(layer, "intermediate", None)
        if (inter is not None and type(getattr(inter, "dense", None)) is nn.Linear
                and plain_gelu(getattr(inter, "intermediate_act_fn", nn.Identity()))):
            inter.dense = OneDnnLinear(inter.dense, gelu=True, bf16=bf16)
            inter.intermediate_act_fn = nn.Identity()
            count += 1
    return count + _swap_plain_linear(module, lambda linear: OneDnnLinear(linear, bf16=bf16))


def prefer_onednn(classifier) -> Any:
    """Score a loaded transformer classifier's encoder through oneDNN where that is available;
    any other classifier (a baseline) or a machine without oneDNN is left as it is, and so is one
    already prepared for int8, bf16 or compilation (a classifier handed to `annotate` after
    `load_model` with those options: swapping layers under torch.compile breaks the graph)."""
    net = getattr(classifier, "net_", None)
    if net is None or getattr(classifier, "kernel_", None) == "onednn" or not onednn_available():
        return classifier
    if getattr(classifier, "compiled_", False) or getattr(classifier, "precision_", "fp32") != "fp32":
        return classifier
    use_onednn(net.encoder)
    classifier.kernel_ = "onednn"
    return classifier


def use_default_kernels(classifier) -> Any:
    """Back to PyTorch's own layers where `prefer_onednn` swapped them (a no-op otherwise)."""
    if getattr(classifier, "kernel_", None) == "onednn":
        use_default_linear(classifier.net_.encoder)
        classifier.kernel_ = None
    return classifier


def use_default_linear(module: nn.Module) -> int:
    """Undo `use_onednn` in place (plain nn.Linear, GELU unfused), for the options that rewrite
    the layers themselves (int8, compilation); return how many were undone."""
    def plain(parent: nn.Module, child: nn.Linear) -> nn.Linear:
        layer = nn.Linear(child.in_features, child.out_features, bias=child.bias is not None, device="meta")
        layer.weight, layer.bias = child.weight, child.bias
        if getattr(child, "gelu", False):
            parent.intermediate_act_fn = nn.GELU()
        return layer

    return _swap_layers(module, lambda child: isinstance(child, OneDnnLinear), plain)
