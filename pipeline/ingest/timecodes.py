"""Parse the time formats transcripts use: hh:mm:ss(.ms), mm:ss, SRT commas, plain seconds."""
from __future__ import annotations

import re

# Seconds have two digits: "00:0" is a truncated time, not zero.
_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")


def parse_clock(value: str) -> float | None:
    """'01:02:03.5' -> 3723.5; '02:03' -> 123.0; '12.5' -> 12.5; anything else -> None."""
    value = value.strip()
    m = _CLOCK.match(value)
    if m:
        h, mi, s, frac = m.groups()
        if int(s) >= 60 or (h is not None and int(mi) >= 60):
            return None
        seconds = int(h or 0) * 3600 + int(mi) * 60 + int(s)
        if frac:
            seconds += int(frac) / (10 ** len(frac))
        return float(seconds)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None
