"""Per-session JSON/CSV/HTML and batch index files, each written atomically.

Every output that quotes transcript text says so: the JSON in its "notice" field, the HTML in a
notice box, and the CSVs in NOTICE.txt beside them. The CSVs themselves start with their header
row and carry no comment line, so R's read.csv and pandas' read_csv load them unchanged.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from ..io import atomic_write_text, sweep_stale_temp_files
from .html import render_index, render_session

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOTICE_FILE = "NOTICE.txt"
FOLDER_NOTICE = """\
This folder was written by `rupture annotate`. It contains transcript text (sensitive clinical
data): store and share it as you would the transcripts themselves.

- <session>.json  the annotation document, with every turn's text (its "notice" field says so)
- <session>.csv   one row per turn, with every turn's text (column "text")
- <session>.html  the session report, with the full transcript
- index.html, summary.csv  one line per session: ids, source file names and counts, no turn text

The CSV files start with their header row and carry no notice line of their own, so that R
(read.csv) and pandas (read_csv) load them unchanged; this file is their notice. Cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) are written
with a leading apostrophe, so a spreadsheet treats them as text rather than running them.
"""


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: a cell that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: safe_cell(r.get(k)) for k in columns})
    return buf.getvalue()


def session_csv(doc: dict[str, Any]) -> str:
    fams = doc["families"]
    moment_of: dict[int, list[str]] = {}
    for m in doc["moments"]:
        for i in range(m["start_turn"], m["end_turn"] + 1):
            moment_of.setdefault(i, []).append(m["id"])
    rows = []
    for t in doc["turns"]:
        row = {"session": doc["session"]["id"], "index": t["index"], "speaker": t["speaker"], "role": t["role"],
               "start": t["start"], "end": t["end"], "label": t["label"] or "", "subtype": t["subtype"] or "",
               "strategy": t.get("strategy") or "", "moments": " ".join(moment_of.get(t["index"], [])), "text": t["text"]}
        for f in fams:
            row[f"p_{f}"] = t["scores"].get(f)
        rows.append(row)
    cols = ["session", "index", "speaker", "role", "start", "end", *[f"p_{f}" for f in fams], "label", "subtype",
            "strategy", "moments", "text"]
    return _csv(rows, cols)


def write_session_outputs(doc: dict[str, Any], out_dir: Path, stem: str) -> Path:
    """HTML and CSV first, JSON last: the JSON marks a finished session (resume looks for it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / f"{stem}.html", render_session(doc))
    atomic_write_text(out_dir / f"{stem}.csv", session_csv(doc))
    target = out_dir / f"{stem}.json"
    atomic_write_text(target, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return target


def _index_row(stem: str, d: dict[str, Any]) -> dict[str, Any] | None:
    """One summary row, or None for a document that is not a whole annotation (e.g. edited by hand)."""
    try:
        s = d["summary"]
        row = {"session": d["session"]["id"], "file": f"{stem}.html", "source_file": d["session"]["source_file"],
               "turns": d["session"]["n_turns"], "duration": d["session"]["duration"],
               "moments": s["n_moments"], **{f: s["by_family"].get(f, 0) for f in d["families"]},
               "resolved": s["resolved"], "unresolved": s["unresolved"],
               "proportion_segments_with_rupture": s["proportion_segments_with_rupture"],
               "first_rupture_turn": s["first_rupture_turn"], "first_rupture_time": s["first_rupture_time"],
               "max_significance": s["max_significance"], "model": d["model"]["name"]}
    except (KeyError, TypeError, AttributeError):
        return None
    numbers_ok = all(row[k] is None or (isinstance(row[k], (int, float)) and not isinstance(row[k], bool))
                     for k in ("turns", "moments", "max_significance"))
    return row if numbers_ok else None


def write_batch_index(out_dir: Path) -> None:
    """index.html and summary.csv over every finished session in the folder (also earlier runs).
    A JSON file there that is not a whole annotation document is left out, with a warning."""
    rows = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue
        if not (isinstance(doc, dict) and str(doc.get("schema", "")).startswith("rupture-annotation/")):
            continue
        row = _index_row(path.stem, doc)
        if row is None:
            print(f"warning: {path}: not a complete annotation document; left out of index.html and summary.csv",
                  file=sys.stderr)
            continue
        rows.append(row)
    cols = list(rows[0]) if rows else ["session"]
    atomic_write_text(out_dir / "summary.csv", _csv(rows, cols))
    atomic_write_text(out_dir / "index.html", render_index(rows))
    atomic_write_text(out_dir / NOTICE_FILE, FOLDER_NOTICE)
    sweep_stale_temp_files(out_dir)
