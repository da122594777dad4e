"""`--compile`: the transformer's encoder through torch.compile, for large batches.

Inductor fuses the LayerNorms, residual adds, GELU, attention softmax and (with `--int8`) the
quantise/dequantise passes around the int8 matrix products into a few loops per layer. On 2 cores
that measured about 1.2x (fp32) and 1.5x (int8) more turns/s on real transcripts
(benchmarks/bench_throughput.py --compile). It costs about 10-25 s of compiling per process
(Inductor keeps a disk cache), so it is an option for corpora, not the default for one session.
Shapes are dynamic: one compiled graph serves every batch size and length from 2 up; a batch of
one turn is padded to two (see `TransformerTurnClassifier.logits`) so that it needs no second graph.
"""
from __future__ import annotations

import sys
from typing import Any


def compile_encoder(classifier) -> Any:
    """Compile the classifier's encoder in place (fp32 or int8; CPU or CUDA) and warm it up, so a
    missing C++ compiler shows here, with a note, and the model keeps running eagerly."""
    import torch

    from .base import require_transformer
    from .onednn import use_default_kernels

    require_transformer(classifier, "--compile")
    if getattr(classifier, "compiled_", False):
        return classifier
    if getattr(classifier, "precision_", "fp32") == "bf16":
        from ..errors import UserError

        raise UserError("--bf16 and --compile exclude each other: choose one")
    use_default_kernels(classifier)  # Inductor picks its own kernels from plain layers
    net = classifier.net_
    eager = net.encoder
    net.encoder = torch.compile(eager, dynamic=True)
    probe = [{"role": "client", "text": "I guess so.", "context": [{"role": "therapist", "text": "Is that right?"}]},
             {"role": "therapist", "text": "Say more about that, if you like.", "context": []}]
    try:
        classifier.logits(probe, batch_size=2, device=str(next(net.parameters()).device))
    except Exception as err:  # no compiler or an unsupported platform: eager gives the same labels
        net.encoder = eager
        print(f"note: encoder not compiled ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
              "running it eagerly", file=sys.stderr)
        return classifier
    classifier.compiled_ = True
    return classifier
