"""XLSForm → XForm with pyxform (no ODK Validate / Java), returning the warnings with the XML."""
from __future__ import annotations

import io
import os
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from .errors import FormBuildError

_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".md", ".csv")


def compile_xlsform(source: bytes | str | os.PathLike, file_type: str = ".xlsx") -> tuple[bytes, list[str]]:
    """Compile an XLSForm (workbook bytes, or a path) to XForm XML bytes and pyxform's warnings.

    A path's suffix decides its type, and its name (without the suffix) is the form id when the
    workbook's settings give no ``form_id``, as pyxform and ODK Central do; bytes are read as
    ``file_type`` (default .xlsx) and fall back to pyxform's default id (``data``).
    Raises ``FormBuildError`` with pyxform's message when the form does not compile.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        file_type = path.suffix.lower()
        if file_type not in _SUFFIXES:
            raise FormBuildError(f"{path.name}: not an XLSForm (expected one of {', '.join(_SUFFIXES)})")
        if not path.is_file():
            raise FormBuildError(f"{path.name}: no such file")
        payload: object = path   # pyxform reads it and keeps its stem as the fallback form id
    else:
        payload = source if isinstance(source, str) else io.BytesIO(source)
    warnings: list[str] = []
    try:
        result = convert(payload, warnings=warnings, pretty_print=True, file_type=file_type)
    except PyXFormError as exc:
        raise FormBuildError(f"the XLSForm does not compile: {exc}") from exc
    except (ValueError, KeyError, TypeError, OSError) as exc:  # unreadable workbook bytes
        raise FormBuildError(f"the XLSForm could not be read: {exc}") from exc
    return result.xform.encode("utf-8"), warnings
