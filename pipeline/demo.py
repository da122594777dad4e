"""`rupture demo` / `make demo`: annotate the bundled sample transcripts with the default model."""
from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "samples"


def run_demo(args) -> int:
    from .annotate import annotate

    out = Path(args.out)
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith(("README", ".")))
    print(f"Annotating {len(samples)} bundled sample transcript(s) (written for this project, no real clients)...")
    res = annotate(samples, out=out, force=True, progress=True)
    for d in res.documents:
        s = d["summary"]
        print(f"  {d['session']['id']}: {d['session']['n_turns']} turns, {s['n_moments']} tension moment(s) "
              f"({', '.join(f'{k} {v}' for k, v in s['by_family'].items())}), {s['resolved']} resolved")
    for err in res.failed:
        print(f"error: {err}")
    first = out / f"{Path(res.written[0]).stem}.html" if res.written else None
    print(f"\nReport: {(out / 'index.html').resolve()}")
    if first:
        print(f"First session: {first.resolve()}")
    return 1 if res.failed else 0
