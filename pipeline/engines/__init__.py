"""Where annotation runs. Every engine runs the same per-session work (`work.process_chunk`):

- local: in this process, chunk after chunk; `--shard K/N` splits a corpus between independent runs.
- ray: on Ray Data, one model actor per worker (optional extra `ray`; docs/scale.md).

Heavy imports (torch, ray) happen inside the functions that need them.
"""
from .shard import parse_shard, select_shard, shard_of

__all__ = ["parse_shard", "select_shard", "shard_of"]
