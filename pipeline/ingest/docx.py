"""Word .docx transcripts: speaker-prefixed paragraphs, read as plain text."""
from __future__ import annotations

import io
import zipfile

from ..errors import InputError


def docx_to_text(data: bytes, path: str) -> str:
    try:
        import docx  # python-docx
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError(path, "reading .docx needs python-docx (pip install python-docx)") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise InputError(path, f"not a readable .docx file ({err})") from None
    except Exception as err:  # python-docx raises bare exceptions on damaged packages
        raise InputError(path, f"not a readable .docx file ({type(err).__name__})") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:  # some transcription services put speaker | text in a table
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[0] and cells[1]:
                lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
    return "\n".join(lines)
