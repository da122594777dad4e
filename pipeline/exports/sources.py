"""Where exports and the casebook read sessions from: a review database or a folder of annotation JSON."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError, UserError

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "annotation-1.0.schema.json"


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def read_annotation(path: Path) -> dict[str, Any] | None:
    """One annotation document; None for JSON of another kind. InputError (naming the file) if broken."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"invalid JSON ({err.msg})", line=err.lineno) from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("rupture-annotation/"):
        return None
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise InputError(path, f"not a valid annotation document: at {where}: {errors[0].message}")
    return doc


def documents_from_folder(folder: str | Path) -> tuple[list[dict[str, Any]], list[InputError]]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "not a folder of annotation documents (run rupture annotate first)")
    docs, errors = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = read_annotation(path)
        except InputError as err:
            errors.append(err)
            continue
        if doc is not None:
            docs.append(doc)
    if not docs and not errors:
        raise InputError(folder, "no annotation documents (*.json from rupture annotate) in this folder")
    return docs, errors


def open_db(path: str | Path):
    """An existing review database (never creates one by accident)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such review database (create one with `rupture review FOLDER`)")
    from ..review.db import ReviewDB

    return ReviewDB(path)


def documents_from_db(db) -> list[dict[str, Any]]:
    return [db.session(s["id"])["document"] for s in db.sessions()]
