"""`rupture casebook`: teaching examples from confirmed moments. Top-level imports stay light."""
from __future__ import annotations

import argparse
import sys

RAW_FLAG = "--i-understand-this-exposes-transcripts"


def register(sub) -> None:
    p = sub.add_parser("casebook", help="teaching examples from confirmed moments (Markdown, HTML, JSONL)",
                       description="Build a trainers' casebook from the moments reviewers confirmed: each excerpt "
                                   "with context, the marker and its definition, the therapist's response and "
                                   "whether it repaired the rupture, and the reviewer's comment. De-identified "
                                   "unless both --no-deid and " + RAW_FLAG + " are given.")
    p.add_argument("--db", required=True, metavar="FILE", help="the review database (rupture review)")
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/casebook.md, .html and .jsonl")
    p.add_argument("--family", help="only this rupture family (e.g. withdrawal)")
    p.add_argument("--subtype", help="only this subtype code (e.g. C2)")
    p.add_argument("--reviewer", help="only moments this reviewer confirmed")
    p.add_argument("--context", type=int, default=3, help="turns of context before and after (default 3)")
    p.add_argument("--no-deid", action="store_true", help="do not de-identify (needs " + RAW_FLAG + " too)")
    p.add_argument(RAW_FLAG, dest="understood", action="store_true",
                   help="confirm that a casebook without de-identification exposes transcripts")
    p.add_argument("--deid-config", default=None, help="de-identification config (default configs/deid.yaml)")
    p.add_argument("--taxonomy", default=None, help="taxonomy YAML (default configs/taxonomy/3rs-2015.yaml)")
    p.set_defaults(func=cmd_casebook)


def check_filters(taxonomy, family: str | None, subtype: str | None, context: int) -> tuple[str | None, str | None]:
    from .errors import UserError

    if family is not None and family not in taxonomy.families:
        raise UserError(f"--family must be one of {', '.join(taxonomy.families)}, got {family!r}")
    if subtype is not None:
        subtype = subtype.upper()
        if subtype not in taxonomy.subtype_family:
            raise UserError(f"--subtype must be one of {', '.join(taxonomy.subtypes)}, got {subtype!r}")
        if family is not None and taxonomy.subtype_family[subtype] != family:
            raise UserError(f"--subtype {subtype} is a {taxonomy.subtype_family[subtype]} code, not {family}")
    if not 0 <= context <= 20:
        raise UserError(f"--context must be 0-20 turns, got {context}")
    return family, subtype


def cmd_casebook(args: argparse.Namespace) -> int:
    from .casebook import build_casebook, write_casebook
    from .errors import UserError
    from .exports.sources import open_db
    from .taxonomy import load_taxonomy

    if args.no_deid and not args.understood:
        raise UserError(f"--no-deid writes identifiable transcript excerpts; give {RAW_FLAG} as well to do that")
    if args.understood and not args.no_deid:
        raise UserError(f"{RAW_FLAG} only goes with --no-deid")
    taxonomy = load_taxonomy(args.taxonomy)
    family, subtype = check_filters(taxonomy, args.family, args.subtype, args.context)
    deid = None
    if not args.no_deid:
        from .deid import Deidentifier

        deid = Deidentifier(args.deid_config)
    else:
        print("warning: the casebook is NOT de-identified: it exposes transcript excerpts", file=sys.stderr)
    with open_db(args.db) as db:
        entries = build_casebook(db, taxonomy, family=family, subtype=subtype, reviewer=args.reviewer,
                                 context=args.context, deid=deid)
    filters = {"family": family, "subtype": subtype, "reviewer": args.reviewer}
    written = write_casebook(entries, args.out, filters, deidentified=deid is not None)
    if not entries:
        print("no confirmed moments match; wrote an empty casebook", file=sys.stderr)
    print(f"{len(entries)} example(s) ({'de-identified' if deid else 'NOT de-identified'}): "
          + ", ".join(str(p) for p in written))
    return 0
