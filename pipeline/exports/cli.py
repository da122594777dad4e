"""`rupture export` and `rupture import-labelstudio`. Top-level imports stay light (argparse only)."""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("export", help="export sessions for Label Studio or ELAN (de-identified by default)",
                       description="Write Label Studio tasks (tasks.json + labeling-config.xml, the model's moments "
                                   "as pre-annotations) or one ELAN .eaf per session. Transcript text is "
                                   "de-identified unless --no-deid is given.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", metavar="FILE", help="a review database (rupture review)")
    src.add_argument("--annotations", metavar="DIR", help="a folder of annotation documents (rupture annotate)")
    p.add_argument("--format", required=True, choices=["labelstudio", "elan"])
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--no-deid", action="store_true",
                   help="keep names, places, dates and numbers in the text (the output is then identifiable)")
    p.add_argument("--deid-config", default=None, help="de-identification config (default configs/deid.yaml)")
    p.add_argument("--taxonomy", default=None, help="taxonomy YAML (default configs/taxonomy/3rs-2015.yaml)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-labelstudio", help="turn a Label Studio export back into review decisions",
                       description="Read a Label Studio JSON export of tasks made by `rupture export --format "
                                   "labelstudio` and record each annotation as decisions in the review database.")
    p.add_argument("file", metavar="FILE", help="the Label Studio export (JSON)")
    p.add_argument("--db", required=True, metavar="FILE", help="the review database")
    p.add_argument("--reviewer", default=None,
                   help="record every decision under this name (default: labelstudio:<annotator>)")
    p.set_defaults(func=cmd_import_labelstudio)


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..deid import Deidentifier
    from ..deid.documents import document_view
    from ..taxonomy import load_taxonomy
    from .sources import documents_from_db, documents_from_folder, open_db

    taxonomy = load_taxonomy(args.taxonomy)
    errors = []
    if args.db:
        with open_db(args.db) as db:
            docs = documents_from_db(db)
    else:
        docs, errors = documents_from_folder(args.annotations)
    deid = None if args.no_deid else Deidentifier(args.deid_config)
    if args.no_deid:
        print("warning: --no-deid: the export contains identifiable transcript text", file=sys.stderr)
    views = [document_view(d, deid) for d in docs]
    out = Path(args.out)
    if args.format == "labelstudio":
        from .labelstudio import write_labelstudio

        written = write_labelstudio(views, out, taxonomy)
    else:
        from .elan import write_elan

        written = write_elan(views, out, taxonomy)
    for err in errors:
        print(f"error: {err}", file=sys.stderr)
    state = "de-identified" if deid else "NOT de-identified"
    print(f"exported {len(views)} session(s) ({state}) as {args.format}: "
          + ", ".join(str(p) for p in written[:4]) + (" ..." if len(written) > 4 else ""))
    return 1 if errors else 0


def cmd_import_labelstudio(args: argparse.Namespace) -> int:
    from ..review.db import clean_reviewer
    from .labelstudio_import import import_labelstudio
    from .sources import open_db

    reviewer = clean_reviewer(args.reviewer) if args.reviewer else None
    with open_db(args.db) as db:
        counts = import_labelstudio(db, args.file, reviewer=reviewer)
    print(f"{args.file}: {counts['tasks']} task(s), {counts['annotations']} annotation(s): "
          f"{counts['confirmed']} confirmed, {counts['rejected']} rejected, {counts['relabelled']} relabelled, "
          f"{counts['adjusted']} span(s) adjusted, {counts['added']} moment(s) added")
    for msg in counts["skipped"]:
        print(f"skipped: {msg}", file=sys.stderr)
    for msg in counts["failed"]:
        print(f"error: {msg}", file=sys.stderr)
    return 1 if counts["failed"] else 0
