"""User-facing errors: they name the file (and line) and never surface as a traceback."""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """An error caused by input or options, reported as one clear line."""


class InputError(UserError):
    def __init__(self, path: str | Path | None, message: str, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class ModelError(UserError):
    """A model directory that is missing, corrupt or incompatible."""
