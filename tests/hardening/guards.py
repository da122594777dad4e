"""Watchdogs for the hardening tests: a hard time limit and a peak-memory measure."""
from __future__ import annotations

import signal
import threading
import time
import tracemalloc
from contextlib import contextmanager
from typing import Iterator

# Seconds one corpus file may take to read and segment. Real runs take well under a second; the
# budget is generous because CI machines are shared and slow.
FILE_BUDGET_S = 10.0


class Hung(Exception):
    """Raised inside the code under test when it overruns its time limit."""


@contextmanager
def time_limit(seconds: float = FILE_BUDGET_S) -> Iterator[None]:
    """Interrupt the block with Hung after `seconds` (SIGALRM; main thread only, else just timed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def measured() -> Iterator[dict]:
    """Wall time and peak Python heap allocation (tracemalloc) of the block, in a dict."""
    out: dict = {}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - started
        out["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()


def property_settings(max_examples: int = 100, deadline_s: float = 2.0):
    """Hypothesis settings that keep the default suite fast; HARDENING_EXAMPLES=2000 digs deeper."""
    import os
    from datetime import timedelta

    from hypothesis import HealthCheck, settings

    return settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", max_examples)),
                    deadline=timedelta(seconds=deadline_s),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])
