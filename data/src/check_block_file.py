"""Check authoring files: python3 data/src/check_block_file.py FILE... (stdlib only)."""
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pipeline" / "corpus"))
from authoring import AuthoringError, parse_session_file, parse_turn_file  # noqa: E402

status = 0
for name in sys.argv[1:]:
    try:
        if "/sessions/" in name.replace("\\", "/"):
            s = parse_session_file(name)
            eps = ", ".join(f"{e['id']} {e['family']} {e['first_turn']}-{e['last_turn']} "
                            f"{'resolved' if e['resolved'] else 'unresolved'}" for e in s["episodes"])
            print(f"{name}: ok, {len(s['turns'])} turns; episodes: {eps or 'none'}")
        else:
            items = parse_turn_file(name)
            labels = collections.Counter(i.subtype or i.hard_negative or i.family or f"R:{i.strategy}" for i in items)
            print(f"{name}: ok, {len(items)} items: {dict(sorted(labels.items()))}")
    except AuthoringError as err:
        print(f"ERROR {err}")
        status = 1
sys.exit(status)
