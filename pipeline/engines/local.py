"""The local engine: chunks of sessions, one after another, in this process."""
from __future__ import annotations

from typing import Iterator, Sequence

from .work import Outcome, Task, WorkOptions, process_chunk, timeline_for


def run_local(tasks: Sequence[Task], classifier, timeline, options: WorkOptions, sessions_per_batch: int = 16,
              progress: bool = False) -> Iterator[Outcome]:
    """Yield each task's Outcome, chunk by chunk: memory holds one chunk of sessions at a time."""
    try:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="annotating", unit="session", disable=not progress)
    except ImportError:  # pragma: no cover
        bar = None
    timeline = timeline_for(timeline, classifier)
    try:
        for start in range(0, len(tasks), max(1, sessions_per_batch)):
            chunk = tasks[start:start + sessions_per_batch]
            yield from process_chunk(chunk, classifier, timeline, options)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
