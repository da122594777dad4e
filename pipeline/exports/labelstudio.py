"""Label Studio export: one task per session in the dialogue `Paragraphs` layout, the model's moments as
pre-annotations (`predictions`), and the matching labelling config.

Each moment is one ParagraphLabels region over its turns, labelled with its family and its subtypes
("W2 Minimal response"); its region id is the moment id, which is how `import-labelstudio` finds it again.
Per region, annotators may also pick a verdict (confirm/reject) and write a comment.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ..errors import UserError
from ..taxonomy import Taxonomy

SCHEMA_PATH = Path(__file__).with_name("labelstudio-task.schema.json")
OBJECT_NAME = "dialogue"    # the Paragraphs object
MARKER_NAME = "marker"      # ParagraphLabels: families and subtypes
VERDICT_NAME = "verdict"    # per-region Choices
COMMENT_NAME = "comment"    # per-region TextArea
VERDICTS = ("confirm", "reject")
FAMILY_COLOURS = ("#d9822b", "#c23030", "#2b95d6", "#29a634", "#8f398f")
_CODE = re.compile(r"^([A-Z][0-9]+)\b")


def subtype_label(taxonomy: Taxonomy, code: str) -> str:
    """The label annotators see for a subtype: its code and name ('W2 Minimal response')."""
    name = taxonomy.subtype_info.get(code, {}).get("name", "")
    return f"{code} {name}".strip()


def label_meaning(taxonomy: Taxonomy, label: str) -> tuple[str | None, str | None]:
    """A ParagraphLabels value back to (family, subtype code)."""
    if label in taxonomy.families:
        return label, None
    m = _CODE.match(label.strip())
    if m and m.group(1) in taxonomy.subtype_family:
        return taxonomy.subtype_family[m.group(1)], m.group(1)
    return None, None


def labeling_config(taxonomy: Taxonomy, notice: str) -> str:
    """The Label Studio labelling config (XML) matching the tasks."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=f"Rupture markers ({taxonomy.name}). {notice}")
    ET.SubElement(view, "Paragraphs", name=OBJECT_NAME, value="$dialogue", layout="dialogue", nameKey="author",
                  textKey="text")
    labels = ET.SubElement(view, "ParagraphLabels", name=MARKER_NAME, toName=OBJECT_NAME, choice="multiple")
    for k, fam in enumerate(taxonomy.families):
        colour = FAMILY_COLOURS[k % len(FAMILY_COLOURS)]
        ET.SubElement(labels, "Label", value=fam, background=colour, hint=f"3RS {fam} rupture (family)")
        for code in taxonomy.subtypes:
            if taxonomy.subtype_family[code] == fam:
                ET.SubElement(labels, "Label", value=subtype_label(taxonomy, code), background=colour,
                              hint=taxonomy.subtype_info[code].get("definition", ""))
    choices = ET.SubElement(view, "Choices", name=VERDICT_NAME, toName=OBJECT_NAME, perRegion="true",
                            choice="single-radio", showInline="true")
    for v in VERDICTS:
        ET.SubElement(choices, "Choice", value=v)
    ET.SubElement(view, "TextArea", name=COMMENT_NAME, toName=OBJECT_NAME, perRegion="true",
                  placeholder="Reviewer's comment on this moment", maxSubmissions="1", editable="true")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def moment_region(view: dict[str, Any], moment: dict[str, Any], taxonomy: Taxonomy) -> dict[str, Any]:
    """One moment as a ParagraphLabels prediction region over its turns."""
    turns = view["turns"]
    start, end = int(moment["start_turn"]), int(moment["end_turn"])
    labels = [moment["family"]] + [subtype_label(taxonomy, c) for c in moment.get("subtypes") or []
                                   if c in taxonomy.subtype_family]
    result = {"id": str(moment["id"]), "from_name": MARKER_NAME, "to_name": OBJECT_NAME, "type": "paragraphlabels",
              "origin": "prediction",
              "value": {"start": str(start), "end": str(end), "startOffset": 0, "endOffset": len(turns[end]["text"]),
                        "text": "\n".join(t["text"] for t in turns[start:end + 1]), "paragraphlabels": labels}}
    if moment.get("peak_score") is not None:
        result["score"] = float(moment["peak_score"])
    return result


def session_task(view: dict[str, Any], taxonomy: Taxonomy) -> dict[str, Any]:
    """A Label Studio task for one session view (from pipeline.deid.documents.document_view)."""
    sess = view["session"]
    dialogue = [{"author": t["speaker"], "text": t["text"], "turn": t["index"], "role": t["role"],
                 "start": t["start"], "end": t["end"]} for t in view["turns"]]
    regions = [moment_region(view, m, taxonomy) for m in view["moments"]]
    model = view.get("model") or {}
    scores = [r["score"] for r in regions if "score" in r]
    prediction = {"model_version": f"{model.get('name', 'rupture-markers')} {model.get('version', '')}".strip(),
                  "score": round(max(scores), 4) if scores else 0.0, "result": regions}
    return {"data": {"dialogue": dialogue, "session": sess["id"], "session_ref": sess["ref"],
                     "n_turns": sess["n_turns"], "deidentified": view["deidentified"], "notice": view["notice"]},
            "predictions": [prediction] if regions else []}


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate_task(task: dict[str, Any], config_xml: str | None = None) -> list[str]:
    """Problems with a task: against Label Studio's documented task format and, given the labelling config,
    against its object and control names, label values and the dialogue's keys. Empty when valid."""
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '<task>'}: {e.message}"
                for e in _validator().iter_errors(task)]
    if config_xml is None or problems:
        return problems
    root = ET.fromstring(config_xml)
    objects = {el.get("name"): el for el in root.iter() if el.get("value", "").startswith("$")}
    controls = {el.get("name"): el for el in root.iter() if el.get("toName")}
    for name, el in objects.items():
        key = el.get("value")[1:]
        if key not in task["data"]:
            problems.append(f"data: the config's {el.tag} {name!r} reads ${key}, which the task lacks")
        elif el.tag == "Paragraphs":
            for i, p in enumerate(task["data"][key]):
                for k in (el.get("nameKey", "author"), el.get("textKey", "text")):
                    if k not in p:
                        problems.append(f"data/{key}/{i}: missing {k!r}")
    for kind in ("predictions", "annotations"):
        for i, pred in enumerate(task.get(kind) or []):
            for j, r in enumerate(pred["result"]):
                where = f"{kind}/{i}/result/{j}"
                ctl = controls.get(r["from_name"])
                if ctl is None:
                    problems.append(f"{where}: from_name {r['from_name']!r} is not a control in the config")
                    continue
                if r["to_name"] != ctl.get("toName") or r["to_name"] not in objects:
                    problems.append(f"{where}: to_name {r['to_name']!r} does not match the config")
                if ctl.tag.lower() != r["type"]:
                    problems.append(f"{where}: type {r['type']!r} does not match the control <{ctl.tag}>")
                allowed = {c.get("value") for c in ctl}
                for v in r["value"].get(r["type"], []) if r["type"] in ("paragraphlabels", "choices") else []:
                    if v not in allowed:
                        problems.append(f"{where}: label {v!r} is not in the config")
                if r["type"] == "paragraphlabels":
                    n = len(task["data"][objects[r["to_name"]].get("value")[1:]]) if r["to_name"] in objects else 0
                    if not 0 <= int(r["value"]["start"]) <= int(r["value"]["end"]) < n:
                        problems.append(f"{where}: paragraphs {r['value']['start']}-{r['value']['end']} "
                                        f"outside the {n} of the dialogue")
    return problems


def write_labelstudio(views: list[dict[str, Any]], out_dir: Path, taxonomy: Taxonomy) -> list[Path]:
    """DIR/tasks.json (all sessions) and DIR/labeling-config.xml; every task is validated first."""
    from ..io import atomic_write_text

    notice = views[0]["notice"] if views else ""
    config = labeling_config(taxonomy, notice)
    tasks = [session_task(v, taxonomy) for v in views]
    for t in tasks:
        problems = validate_task(t, config)
        if problems:
            raise UserError(f"Label Studio task for {t['data']['session']} is invalid: {'; '.join(problems[:5])}")
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "labeling-config.xml", config)
    atomic_write_text(out_dir / "tasks.json", json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    return [out_dir / "tasks.json", out_dir / "labeling-config.xml"]
