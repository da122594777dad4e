"""Word .docx transcripts: speaker-prefixed paragraphs, read as plain text."""
from __future__ import annotations

import io
import re
import zipfile

from ..errors import InputError
from .limits import MAX_DOCX_UNPACKED


def _check_unpacked_size(data: bytes, path: str) -> None:
    """A .docx is a zip: refuse one that would unpack to more than MAX_DOCX_UNPACKED (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as err:
        # NotImplementedError: a damaged header can claim a zip version or compression zipfile lacks
        raise InputError(path, f"not a readable .docx file ({err})") from None
    if unpacked > MAX_DOCX_UNPACKED:
        raise InputError(path, f"not a plausible .docx: it would unpack to {unpacked / 2**20:,.0f} MB "
                               f"(limit {MAX_DOCX_UNPACKED / 2**20:.0f} MB)")


def docx_to_text(data: bytes, path: str) -> str:
    try:
        import docx  # python-docx
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError(path, "reading .docx needs python-docx (pip install python-docx)") from None
    _check_unpacked_size(data, path)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:  # some transcription services put speaker | text in a table
            for row in table.rows:
                cells = [c.text.strip() for c in row.cells]
                if len(cells) >= 2 and cells[0] and cells[1]:
                    lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        # python-docx names the in-memory file ("file '<_io.BytesIO object at 0x...>' is not a Word
        # file"); keep only what helps the user.
        reason = re.sub(r"^file '<[^>]*>' ", "", str(err))
        raise InputError(path, f"not a readable .docx file ({reason})") from None
    except Exception as err:  # python-docx raises bare exceptions on damaged packages
        raise InputError(path, f"not a readable .docx file ({type(err).__name__})") from None
    return "\n".join(lines)
