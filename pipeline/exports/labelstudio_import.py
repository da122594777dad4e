"""Round trip: a Label Studio export (JSON, tasks with annotations) back into review decisions.

For each submitted (not cancelled) annotation of a task made by `rupture export --format labelstudio`:
- a region whose id is a model moment's id (or, failing that, the same family over overlapping turns)
  decides that moment: `reject` if its verdict says so; otherwise `confirm` when label and span are the
  model's, `relabel` when the subtype or family changed, `adjust_span` (then confirm) when only the turns
  changed; its comment is recorded with it;
- a region that matches no model moment is a moment the model missed (`add_moment`, once);
- a model moment with no region left in the annotation was deleted by the annotator: `reject`.
Importing the same export twice changes nothing.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError, UserError
from ..taxonomy import Taxonomy
from .labelstudio import COMMENT_NAME, MARKER_NAME, VERDICT_NAME, label_meaning, validate_task


def load_export(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(path, f"not a Label Studio JSON export ({err})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise InputError(path, "expected a JSON list of Label Studio tasks")
    return data


def _reviewer(annotation: dict[str, Any], override: str | None) -> str:
    if override:
        return override
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    return f"labelstudio:{who}" if who not in (None, "") else "labelstudio"


def regions_of(result: list[dict[str, Any]], taxonomy: Taxonomy) -> dict[str, dict[str, Any]]:
    """Results grouped by region id: labels -> family/subtype, span, and the per-region verdict and comment."""
    regions: dict[str, dict[str, Any]] = {}
    for r in result:
        rid = str(r.get("id") or "")
        reg = regions.setdefault(rid, {"id": rid, "family": None, "subtype": None, "start": None, "end": None,
                                       "verdict": None, "comment": None, "labels": []})
        value = r.get("value") or {}
        if "start" in value and "end" in value and reg["start"] is None:
            reg["start"], reg["end"] = int(value["start"]), int(value["end"])
        if r.get("from_name") == MARKER_NAME:
            reg["labels"] = list(value.get("paragraphlabels") or [])
            for label in reg["labels"]:
                fam, code = label_meaning(taxonomy, label)
                if code and reg["subtype"] is None:
                    reg["subtype"], reg["family"] = code, fam
                elif fam and reg["family"] is None:
                    reg["family"] = fam
        elif r.get("from_name") == VERDICT_NAME:
            reg["verdict"] = (value.get("choices") or [None])[0]
        elif r.get("from_name") == COMMENT_NAME:
            reg["comment"] = "\n".join(value.get("text") or []).strip() or None
    return {k: v for k, v in regions.items() if v["labels"] or v["verdict"]}


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]) + 1)


def _match(region: dict[str, Any], moments: list[dict[str, Any]], used: set[int]) -> dict[str, Any] | None:
    by_key = [m for m in moments if m["moment_key"] == region["id"] and m["id"] not in used]
    if by_key:
        return by_key[0]
    if region["start"] is None:
        return None
    span = (region["start"], region["end"])
    candidates = [m for m in moments if m["id"] not in used and m["family"] == region["family"]
                  and _overlap(span, (m["start_turn"], m["end_turn"])) > 0]
    return max(candidates, key=lambda m: _overlap(span, (m["start_turn"], m["end_turn"])), default=None)


def apply_annotation(db, session_id: str, regions: dict[str, dict[str, Any]], reviewer: str,
                     counts: dict[str, Any]) -> None:
    moments = db.moments(session_id)
    model = [m for m in moments if m["origin"] == "model" and m["active"]]
    used: set[int] = set()
    for reg in regions.values():
        m = _match(reg, model, used)
        if m is None:
            if reg["verdict"] == "reject":
                continue  # a region the annotator made and rejected: nothing to record
            if not reg["subtype"] or reg["start"] is None:
                counts["skipped"].append(f"{session_id}: region {reg['id']} has no subtype label; not added")
                continue
            same = [x for x in moments if x["origin"] == "reviewer" and x.get("created_by") == reviewer
                    and (x["family"], x["subtype"], x["start_turn"], x["end_turn"])
                    == (reg["family"], reg["subtype"], reg["start"], reg["end"])]
            if not same:
                db.add_moment(session_id, reviewer, reg["family"], reg["subtype"], reg["start"], reg["end"],
                              comment=reg["comment"])
                counts["added"] += 1
            continue
        used.add(m["id"])
        comment = reg["comment"]
        if reg["verdict"] == "reject":
            db.record_decision(m["id"], reviewer, "reject", comment=comment)
            counts["rejected"] += 1
            continue
        span = (reg["start"], reg["end"]) if reg["start"] is not None else (m["start_turn"], m["end_turn"])
        family = reg["family"] or m["family"]
        subtype = reg["subtype"] or m["subtype"]
        relabelled = family != m["family"] or (reg["subtype"] is not None
                                               and reg["subtype"] not in (m["subtypes"] or []))
        if span != (m["start_turn"], m["end_turn"]):
            db.record_decision(m["id"], reviewer, "adjust_span", start_turn=span[0], end_turn=span[1])
            counts["adjusted"] += 1
        if relabelled:
            db.record_decision(m["id"], reviewer, "relabel", family=family, subtype=subtype, comment=comment)
            counts["relabelled"] += 1
        else:
            db.record_decision(m["id"], reviewer, "confirm", comment=comment)
            counts["confirmed"] += 1
    for m in model:
        if m["id"] not in used:
            db.record_decision(m["id"], reviewer, "reject")
            counts["rejected"] += 1


def import_labelstudio(db, path: str | Path, reviewer: str | None = None) -> dict[str, Any]:
    """Apply every submitted annotation in a Label Studio export to the review database. One bad task is
    reported in `failed` and does not stop the others."""
    tasks = load_export(path)
    refs = {}
    for s in db.sessions():
        from ..deid.documents import session_ref

        refs[session_ref(s["id"])] = s["id"]
        refs[s["id"]] = s["id"]
    counts: dict[str, Any] = {"tasks": 0, "annotations": 0, "confirmed": 0, "rejected": 0, "relabelled": 0,
                              "adjusted": 0, "added": 0, "skipped": [], "failed": []}
    for k, task in enumerate(tasks):
        where = f"{path}: task {task.get('id', k)}"
        problems = validate_task(task)
        if problems:
            counts["failed"].append(f"{where}: not a Label Studio task ({problems[0]})")
            continue
        data = task["data"]
        session_id = refs.get(str(data.get("session_ref"))) or refs.get(str(data.get("session")))
        if session_id is None:
            counts["failed"].append(f"{where}: session {data.get('session')!r} is not in the review database")
            continue
        counts["tasks"] += 1
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            try:
                apply_annotation(db, session_id, regions_of(ann["result"], db.taxonomy), _reviewer(ann, reviewer),
                                 counts)
                counts["annotations"] += 1
            except (UserError, ValueError, TypeError) as err:
                counts["failed"].append(f"{where}: {err}")
    return counts
