"""Shared helpers of the benchmark scripts: model lookup, memory readings, tables, result files."""
from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_MODEL = ROOT / "models" / "default"


def resolve_model(name: str | None) -> Path:
    """The model directory to benchmark: --model, else models/default (never built here: building
    it takes minutes and is `make model`'s job)."""
    path = Path(name) if name else DEFAULT_MODEL
    if not (path / "classifier.json").exists():
        sys.exit(f"benchmarks: no model at {path} (build the default one with `make model`, or pass --model DIR)")
    return path


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MiB."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError):
        pass
    return out


def cpu_info() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{len(os.sched_getaffinity(0))} cores, {model}"


def load_turns(path: Path) -> int:
    """Turns in a benchmark corpus folder (speaker lines of its text files)."""
    return sum(sum(1 for line in p.read_text(encoding="utf-8").splitlines() if line.startswith("["))
               for p in sorted(path.glob("*.txt")))


def table(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    cols = list(columns or rows[0].keys())
    cells = [[_fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join([line, rule, *body])


def _numeric(v: str) -> bool:
    try:
        float(v.rstrip("xs%"))
        return True
    except ValueError:
        return False


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def emit(result: dict[str, Any], json_path: str | None) -> None:
    """Write a script's figures as JSON (run_all.py collects them)."""
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=1), encoding="utf-8")
