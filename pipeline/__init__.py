"""rupture-markers: detect 3RS alliance-rupture markers in psychotherapy transcripts.

The toolkit never reaches the network: Hugging Face libraries are put offline here, before any of
them is imported, so a user cannot forget to.
"""
import os as _os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    _os.environ[_var] = "1"
_os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"

from .errors import InputError, UserError  # noqa: E402
from .model import Session, Speaker, Turn  # noqa: E402


def read_session(*args, **kwargs):
    """Read one transcript file into a role-labelled Session (see pipeline.ingest.read_session)."""
    from .ingest import read_session as _read

    return _read(*args, **kwargs)


def read_sessions(paths, segment: bool = True, pipeline: str = "sentencizer", **kwargs):
    """Read and segment transcripts; return (sessions, errors). One bad file never stops the rest."""
    from .ingest import expand_inputs, read_session as _read
    from .segment import segment_sessions

    files, errors = expand_inputs([paths] if isinstance(paths, (str, _os.PathLike)) else paths)
    sessions = []
    for f in files:
        try:
            sessions.append(_read(f, **kwargs))
        except InputError as err:
            errors.append(err)
    if segment and sessions:
        segment_sessions(sessions, pipeline)
    return sessions, errors


def annotate(paths, **kwargs):
    """Annotate transcripts end to end (see pipeline.annotate.annotate)."""
    from .annotate import annotate as _annotate

    return _annotate(paths, **kwargs)


__all__ = ["InputError", "UserError", "Session", "Speaker", "Turn", "read_session", "read_sessions", "annotate"]
