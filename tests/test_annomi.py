"""Real transcribed speech (AnnoMI, ../shared/external/annomi/): ingestion and annotation hold up.

Skipped where the external folder is absent. AnnoMI carries no rupture labels: these tests check that
real sessions flow through the pipeline, not the model's judgements.
"""
from __future__ import annotations

import csv
from pathlib import Path

import jsonschema
import pytest

from pipeline.annotate import annotate
from pipeline.ingest import read_session

ANNOMI = Path(__file__).resolve().parents[2] / "shared" / "external" / "annomi" / "annomi.csv"
if not ANNOMI.exists():  # the CI checkout keeps shared/ beside the clone
    ANNOMI = Path(__file__).resolve().parents[1].parent / "shared" / "external" / "annomi" / "annomi.csv"
pytestmark = pytest.mark.skipif(not ANNOMI.exists(), reason="AnnoMI not present at ../shared/external/annomi/")


def _write_sessions(tmp_path: Path, n: int = 6) -> list[Path]:
    rows: dict[str, list[dict[str, str]]] = {}
    with open(ANNOMI, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["transcript_id"], []).append(row)
    paths = []
    for tid in sorted(rows, key=int)[:n]:
        p = tmp_path / f"annomi-{tid}.csv"
        with open(p, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["interlocutor", "utterance_text", "timestamp"])
            for r in sorted(rows[tid], key=lambda r: int(r["utterance_id"])):
                w.writerow([r["interlocutor"], r["utterance_text"], r["timestamp"]])
        paths.append(p)
    return paths


def test_annomi_sessions_ingest_with_roles_and_times(tmp_path):
    for p in _write_sessions(tmp_path):
        s = read_session(p)
        assert {sp.label: sp.role for sp in s.speakers} == {"therapist": "therapist", "client": "client"}
        assert all(a.speaker != b.speaker for a, b in zip(s.turns, s.turns[1:]))
        starts = [t.start for t in s.turns]
        assert all(x is not None for x in starts) and starts == sorted(starts)


def test_annomi_sessions_annotate_to_schema_valid_documents(tmp_path, tiny_model_dir):
    import json

    schema = json.loads((Path(__file__).resolve().parents[1] / "pipeline" / "schemas"
                         / "annotation-1.0.schema.json").read_text())
    res = annotate(_write_sessions(tmp_path, 3), out=tmp_path / "out", model=str(tiny_model_dir))
    assert not res.failed and len(res.documents) == 3
    for doc in res.documents:
        jsonschema.validate(doc, schema)
        assert doc["segments"][0]["unit"] == "time"
