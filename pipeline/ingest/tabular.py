"""CSV/TSV transcripts: one row per utterance with speaker and text, optional start/end columns."""
from __future__ import annotations

import csv
import io

from ..errors import InputError
from ..model import Utterance
from .timecodes import parse_clock

DEFAULT_COLUMNS = {
    "speaker": ["speaker", "interlocutor", "speaker_label", "who", "name", "role", "spk"],
    "text": ["text", "utterance", "utterance_text", "transcript", "content", "line", "sentence"],
    "start": ["start", "start_time", "begin", "timestamp", "time", "onset"],
    "end": ["end", "end_time", "stop", "offset"],
}


def _find(header: list[str], wanted: str | None, candidates: list[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in ([wanted] if wanted else candidates):
        if name and name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def parse_table(text: str, path: str, delimiter: str | None = None, columns: dict[str, str] | None = None) -> list[Utterance]:
    columns = columns or {}
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
    csv.field_size_limit(10_000_000)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        raise InputError(path, f"cannot read the header row ({err})", line=1) from None
    idx = {key: _find(header, columns.get(key), cands) for key, cands in DEFAULT_COLUMNS.items()}
    for key in ("speaker", "text"):
        if idx[key] is None:
            asked = columns.get(key)
            hint = f"column {asked!r}" if asked else f"a {key} column (one of: {', '.join(DEFAULT_COLUMNS[key])})"
            raise InputError(path, f"needs {hint}; found columns: {', '.join(h.strip() for h in header) or 'none'}"
                                   f" (set names with --columns {key}=NAME)", line=1)
    utterances = []
    row_start = lineno = reader.line_num + 1
    try:
        for row in reader:
            lineno, row_start = row_start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            def cell(key: str) -> str:
                i = idx[key]
                return row[i].strip() if i is not None and i < len(row) else ""
            speaker, utt = cell("speaker"), cell("text")
            if not speaker:
                raise InputError(path, "row has no speaker", line=lineno)
            times = {}
            for key in ("start", "end"):
                raw = cell(key)
                times[key] = parse_clock(raw) if raw else None
                if raw and times[key] is None:
                    raise InputError(path, f"cannot read {key} time {raw!r}", line=lineno)
            utterances.append(Utterance(speaker=speaker, text=utt, start=times["start"], end=times["end"], line=lineno))
    except csv.Error as err:
        raise InputError(path, f"malformed CSV ({err})", line=reader.line_num) from None
    if text.count('"') % 2 and reader.line_num > lineno:
        # An opening quote that is never closed swallows the rest of the file into the last row.
        raise InputError(path, "a quoted cell starting on this line is never closed (unbalanced '\"'); "
                               "the rest of the file was read as one cell", line=lineno)
    if not utterances:
        raise InputError(path, "no rows after the header")
    return utterances
