"""`--shard K/N`: split a corpus between independent runs (Slurm array tasks, cron jobs, machines).

A file's shard is a hash of its path relative to the input it was found under (a folder given on
the command line, or the folder part of a glob), so every run that is given the same inputs
computes the same assignment, wherever the corpus is mounted and whatever else is in the batch.
K runs from 1 to N, like `split -n K/N`; the N shards partition the files.
"""
from __future__ import annotations

import glob
import hashlib
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import UserError


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'K/N' -> (K, N) with 1 <= K <= N; None for no sharding."""
    if text is None or str(text).strip() == "":
        return None
    parts = str(text).strip().split("/")
    try:
        k, n = (int(p) for p in parts)
    except ValueError:
        raise UserError(f"--shard expects K/N with whole numbers, e.g. 1/4, got {text!r}") from None
    if n < 1 or not 1 <= k <= n:
        raise UserError(f"--shard {text}: K must be between 1 and N (shards are numbered 1..N)")
    return k, n


def shard_of(key: str, n: int) -> int:
    """The shard (1..n) of a relative path: stable across machines, runs and Python versions."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def _glob_base(pattern: str) -> Path:
    """The folder part of a glob before its first wildcard ('corpus/*/s*.txt' -> 'corpus')."""
    base: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        base.append(part)
    return Path(*base) if base else Path(".")


def relative_keys(files: Sequence[Path], inputs: Iterable[str | Path]) -> list[str]:
    """Each file's path relative to the folder (or glob base) it was found under; a file named on
    the command line is keyed by its name."""
    roots = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            roots.append(p.resolve())
        elif not p.exists() and glob.has_magic(str(raw)):
            roots.append(_glob_base(str(raw)).resolve())
    keys = []
    for f in files:
        full = f.resolve()
        key = f.name
        for root in roots:
            try:
                key = full.relative_to(root).as_posix()
                break
            except ValueError:
                continue
        keys.append(key)
    return keys


def select_shard(files: Sequence[Path], inputs: Iterable[str | Path], shard: tuple[int, int] | None) -> list[bool]:
    """For each file, whether it belongs to `shard` (all True when not sharding)."""
    if shard is None:
        return [True] * len(files)
    k, n = shard
    return [shard_of(key, n) == k for key in relative_keys(files, list(inputs))]
