"""`rupture review` and `rupture export-reviews`. Top-level imports stay light (argparse only)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

DEFAULT_DB_NAME = "reviews.sqlite"
DB_SUFFIXES = (".sqlite", ".sqlite3", ".db")
ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")


def default_reviewer() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except (KeyError, OSError):  # no user name in a container without a passwd entry
        return os.environ.get("USER") or "reviewer"


def resolve_target(target: str, db_opt: str | None) -> tuple[Path | None, Path]:
    """(annotation folder to import or None, database file) for `rupture review TARGET [--db FILE]`."""
    from ..errors import UserError

    path = Path(target)
    if path.is_dir():
        return path, Path(db_opt) if db_opt else path / DEFAULT_DB_NAME
    if path.suffix.lower() in DB_SUFFIXES:
        if not path.exists():
            raise UserError(f"{path}: no such database file")
        if db_opt:
            raise UserError("give either a database file or --db, not both")
        return None, path
    if not path.exists():
        raise UserError(f"{path}: no such folder or database file")
    raise UserError(f"{path}: expected an annotation folder (from rupture annotate) or a .sqlite review database")


def cmd_review(args) -> int:
    from ..errors import UserError
    from .db import ReviewDB, clean_reviewer

    if args.host not in ALLOWED_HOSTS:
        raise UserError(f"--host {args.host!r} refused: the review app serves clinical text and binds to 127.0.0.1 only")
    if not 0 < args.port < 65536:
        raise UserError(f"--port must be 1-65535, got {args.port}")
    reviewer = clean_reviewer(args.reviewer or default_reviewer())
    folder, db_path = resolve_target(args.target, args.db)
    with ReviewDB(db_path) as db:
        if folder is not None:
            counts = db.import_annotations(folder)
            print(f"imported {folder} into {db_path}: {counts['sessions_added']} session(s) added, "
                  f"{counts['sessions_updated']} updated, {counts['sessions_unchanged']} unchanged; "
                  f"{counts['moments']} model moment(s)")
            for msg in counts["failed"]:
                print(f"error: {msg}", file=sys.stderr)
        if args.import_only:
            return 1 if folder is not None and counts["failed"] else 0
        from .server import serve

        try:
            serve(db, reviewer, host=args.host, port=args.port)
        except KeyboardInterrupt:  # Ctrl-C is how one stops the app: every decision is already saved
            print("review app stopped; every decision is saved in", db_path)
    return 0


def cmd_export_reviews(args) -> int:
    from .db import ReviewDB
    from .export import export_reviews

    if not Path(args.db).is_file():
        from ..errors import UserError

        raise UserError(f"{args.db}: no such database file")
    with ReviewDB(args.db) as db:
        counts = export_reviews(db, args.out, reviewer=args.reviewer)
    print(f"wrote {counts['items']} item(s) from {counts['moments']} moment(s) to {args.out} "
          f"(confirmed {counts['confirmed']}, relabelled {counts['relabelled']}, rejected {counts['rejected']}; "
          f"{counts['skipped_no_context']} client turn(s) without context left out). "
          "The items quote transcript text: store them as you would the transcripts.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="review flagged moments in a local web app (127.0.0.1 only)",
                       description="Import an annotation folder into DIR/reviews.sqlite (or --db) and serve the "
                                   "review app; or serve an existing .sqlite review database.")
    p.add_argument("target", metavar="DIR-or-DB", help="annotation folder (rupture annotate --out) or .sqlite file")
    p.add_argument("--db", metavar="FILE", help=f"database file (default DIR/{DEFAULT_DB_NAME})")
    p.add_argument("--reviewer", metavar="NAME", help="who is reviewing (default: the OS user); switchable in the app")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1, localhost or ::1 are accepted")
    p.add_argument("--import-only", action="store_true", help="import the folder and exit without serving")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("export-reviews", help="reviewer decisions as corpus training items (JSONL)",
                       description="Write confirmed, relabelled and rejected moments as client turn items in the "
                                   "corpus schema, for data.extra_train in a training config.")
    p.add_argument("--db", required=True, metavar="FILE", help="the review database")
    p.add_argument("--out", required=True, metavar="FILE.jsonl")
    p.add_argument("--reviewer", metavar="NAME", help="only this reviewer's decisions (default: everyone's)")
    p.set_defaults(func=cmd_export_reviews)
