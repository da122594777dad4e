"""int8 inference for the transformer classifier: the encoder's Linear layers in int8.

Dynamic quantisation: weights are quantised once, per output channel (symmetric, int8);
activations at run time, per token (one scale per row), and multiplied with `torch._int_mm`
(int8 x int8 -> int32, VNNI/AMX kernels on x86).

Why not `torch.ao.quantization.quantize_dynamic`: it quantises the activations of a whole batch
with one scale, and BERT-style hidden states have outlier channels and tokens; on the seed test
split that changed 4-9% of the family labels, against under 1% with per-token scales.
The input of each feed-forward output layer comes from GELU (almost all >= -0.17), so it is
quantised asymmetrically (zero point per token), which uses the full 8 bits of its range. The
three small classification heads stay in fp32: they cost nothing and decide the labels.

`label_agreement` measures what int8 changes: the share of turns whose decided labels match fp32.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Sequence

import torch
from torch import nn

PRECISIONS = ("fp32", "int8")


def _quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 weight laid out (in, out), fp32 scale per output channel); symmetric, per channel.
    The (in, out) contiguous layout is what `_int_mm` reads fastest (about 2x over a transposed view)."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.t().contiguous(), scale


def _linear_sym(x: torch.Tensor, weight_t: torch.Tensor, weight_scale: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x (M, in) fp32 -> (M, out): per-token symmetric int8 activations."""
    scale = x.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
    q = torch.round(x / scale).to(torch.int8)  # |x / scale| <= 127 by construction
    return torch._int_mm(q, weight_t).float() * scale * weight_scale + bias


def _linear_asym(x: torch.Tensor, weight_t: torch.Tensor, weight_scale: torch.Tensor, bias: torch.Tensor,
                 weight_colsum: torch.Tensor) -> torch.Tensor:
    """Per-token asymmetric activations: x ~ scale * (q - zero), q in 0..255 stored as q - 128."""
    lo = x.amin(dim=1, keepdim=True).clamp(max=0.0)
    hi = x.amax(dim=1, keepdim=True).clamp(min=0.0)
    scale = ((hi - lo) / 255.0).clamp(min=1e-8)
    zero = torch.round(-lo / scale)
    q = (torch.round(x / scale) + zero).clamp(0, 255).sub(128).to(torch.int8)
    acc = torch._int_mm(q, weight_t).float() + (128.0 - zero) * weight_colsum  # zero-point correction
    return acc * scale * weight_scale + bias


def _feed_forward(x: torch.Tensor, w1: torch.Tensor, s1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
                  s2: torch.Tensor, b2: torch.Tensor, colsum2: torch.Tensor) -> torch.Tensor:
    """BERT's dense -> GELU -> dense in one function: compiled, GELU and the second layer's
    quantisation fuse into the first layer's output pass."""
    return _linear_asym(torch.nn.functional.gelu(_linear_sym(x, w1, s1, b1)), w2, s2, b2, colsum2)


class _Kernels:
    """The int8 functions, compiled by torch.compile (Inductor fuses the quantise and dequantise
    passes around `_int_mm` into single loops; unfused, those memory passes cost about what int8
    saves) when a C++ compiler is at hand, else run eagerly (same labels, not faster than fp32).
    RUPTURE_INT8_COMPILE=0 forces eager."""

    def __init__(self) -> None:
        self.sym, self.asym, self.ffn, self.compiled = _linear_sym, _linear_asym, _feed_forward, False
        self._tried = False

    def ensure(self) -> None:
        if self._tried:
            return
        self._tried = True
        if os.environ.get("RUPTURE_INT8_COMPILE", "1") == "0":
            return
        try:
            sym, asym, ffn = (torch.compile(f, dynamic=True) for f in (_linear_sym, _linear_asym, _feed_forward))
            # Compile now (seconds; cached on disk for later runs), on sizes that stay symbolic
            # (not 0 or 1), so a missing compiler shows here and not in the middle of a batch.
            x = torch.randn(8, 16)
            w1, s1 = _quantize_weight(torch.randn(24, 16))
            w2, s2 = _quantize_weight(torch.randn(16, 24))
            with torch.inference_mode():
                sym(x, w1, s1, torch.zeros(24))
                asym(x, w1, s1, torch.zeros(24), w1.sum(0, dtype=torch.int32).float())
                ffn(x, w1, s1, torch.zeros(24), w2, s2, torch.zeros(16), w2.sum(0, dtype=torch.int32).float())
        except Exception as err:  # no compiler, unsupported platform: eager still gives the same labels
            print(f"note: int8 kernels not compiled ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
                  "running them eagerly, which is not faster than fp32", file=sys.stderr)
            return
        self.sym, self.asym, self.ffn, self.compiled = sym, asym, ffn, True


KERNELS = _Kernels()


class Int8Linear(nn.Module):
    """A drop-in for nn.Linear: y = x W^T + b with int8 weights and per-token int8 activations."""

    def __init__(self, linear: nn.Linear, asymmetric: bool = False):
        super().__init__()
        q, scale = _quantize_weight(linear.weight)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.asymmetric = asymmetric
        self.register_buffer("weight_t", q)
        self.register_buffer("weight_scale", scale)
        bias = linear.bias.detach().float() if linear.bias is not None else torch.zeros(self.out_features)
        self.register_buffer("bias", bias)
        # For the zero-point correction of asymmetric inputs: each output channel's weight sum.
        self.register_buffer("weight_colsum", q.sum(dim=0, dtype=torch.int32).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        KERNELS.ensure()  # a model unpickled in another process (a Ray actor) compiles there too
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).float()
        if self.asymmetric:
            y = KERNELS.asym(x2, self.weight_t, self.weight_scale, self.bias, self.weight_colsum)
        else:
            y = KERNELS.sym(x2, self.weight_t, self.weight_scale, self.bias)
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, int8, {'asymmetric' if self.asymmetric else 'symmetric'}"


class Int8FeedForward(nn.Module):
    """Replaces a BERT layer's `intermediate` (dense + GELU) and absorbs its `output.dense`, which
    becomes an identity: the whole feed-forward block in one int8 function."""

    def __init__(self, first: nn.Linear, second: nn.Linear):
        super().__init__()
        self.up, self.down = Int8Linear(first), Int8Linear(second, asymmetric=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        KERNELS.ensure()
        shape = x.shape
        up, down = self.up, self.down
        y = KERNELS.ffn(x.reshape(-1, shape[-1]).float(), up.weight_t, up.weight_scale, up.bias,
                        down.weight_t, down.weight_scale, down.bias, down.weight_colsum)
        return y.reshape(*shape[:-1], down.out_features)


def _is_after_gelu(name: str) -> bool:
    # BERT layers: attention.self.{query,key,value}, attention.output.dense, intermediate.dense, output.dense
    return name.endswith("output.dense") and "attention" not in name


def plain_gelu(act: nn.Module) -> bool:
    """True when `act` is exact (erf) GELU, whatever class implements it."""
    x = torch.linspace(-6, 6, 97)
    return torch.equal(act(x), torch.nn.functional.gelu(x))


def quantize_module(module: nn.Module) -> int:
    """Replace the Linear layers inside `module` by int8 ones, in place; return how many. BERT
    feed-forward blocks with exact GELU become one fused Int8FeedForward."""
    count = 0
    for layer in getattr(getattr(module, "encoder", None), "layer", []):
        inter, out = getattr(layer, "intermediate", None), getattr(layer, "output", None)
        if (inter is not None and out is not None and isinstance(getattr(inter, "dense", None), nn.Linear)
                and isinstance(getattr(out, "dense", None), nn.Linear)
                and plain_gelu(getattr(inter, "intermediate_act_fn", nn.Identity()))):
            layer.intermediate = Int8FeedForward(inter.dense, out.dense)
            out.dense = nn.Identity()
            count += 2
    for parent_name, parent in list(module.named_modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                full = f"{parent_name}.{child_name}" if parent_name else child_name
                setattr(parent, child_name, Int8Linear(child, asymmetric=_is_after_gelu(full)))
                count += 1
    return count


def quantize_int8(classifier) -> Any:
    """Quantise a loaded transformer classifier's encoder to int8, in place (CPU inference only)."""
    from .base import require_transformer
    from .onednn import use_default_kernels

    require_transformer(classifier, "--int8")
    if getattr(classifier, "precision_", "fp32") == "int8":
        return classifier
    if getattr(classifier, "precision_", "fp32") == "bf16":
        from ..errors import UserError

        raise UserError("--bf16 and --int8 exclude each other: choose one")
    use_default_kernels(classifier)  # int8 rewrites nn.Linear layers, so unswap oneDNN's first
    net = classifier.net_.to("cpu")
    net.eval()
    with torch.no_grad():
        quantize_module(net.encoder)
    KERNELS.ensure()
    classifier.precision_ = "int8"
    return classifier


def label_agreement(reference: Sequence, other: Sequence) -> dict[str, Any]:
    """Share of equal decisions between two lists of TurnDecision for the same items: family
    labels (client turns), subtypes (client turns) and strategies (therapist turns)."""
    if len(reference) != len(other):
        raise ValueError("decision lists differ in length")
    client = [(a, b) for a, b in zip(reference, other) if a.role == "client"]
    therapist = [(a, b) for a, b in zip(reference, other) if a.role != "client"]

    def share(pairs, attr):
        return round(sum(getattr(a, attr) == getattr(b, attr) for a, b in pairs) / len(pairs), 4) if pairs else None

    return {"n_client": len(client), "n_therapist": len(therapist), "family": share(client, "family"),
            "subtype": share(client, "subtype"), "strategy": share(therapist, "strategy"),
            "family_changed": sum(a.family != b.family for a, b in client)}
