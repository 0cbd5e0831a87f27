"""Text from people on its way to the database: one check, so a NUL byte (which PostgreSQL refuses with a
DataError) is a clear "remove it" everywhere instead of a crash.

``check_text`` is called where a form's text enters ``core`` (sign-in, reasons, notes, names); the engine
listener ``reject_nul_parameters`` (installed by ``core.storage.db.make_engine`` on every backend) is the net under
every other statement, searches included, so no text with a NUL byte reaches any database.
"""

from __future__ import annotations

from typing import Any

NUL = "\x00"


class TextRejected(ValueError):
    """Text a person entered holds a NUL byte (``field`` names it when known); nothing was written."""

    code = "text_nul"

    def __init__(self, field: str = "") -> None:
        super().__init__(f"text with a NUL byte{f' in {field}' if field else ''}")
        self.field = field
        self.params: dict[str, Any] = {}


def check_text(value: str | None, *, field: str = "") -> str | None:
    """``value`` unchanged, or ``TextRejected`` when it holds a NUL byte.

    Examples
    --------
    >>> check_text("客户刚转介绍两位朋友")
    '客户刚转介绍两位朋友'
    >>> check_text("a\\x00b", field="reason")
    Traceback (most recent call last):
    ...
    core.storage.text_input.TextRejected: text with a NUL byte in reason
    """
    if isinstance(value, str) and NUL in value:
        raise TextRejected(field)
    return value


def _values(parameters: Any):
    if isinstance(parameters, dict):
        return parameters.values()
    if isinstance(parameters, (list, tuple)):
        return parameters
    return ()


def reject_nul_parameters(conn, cursor, statement, parameters, context, executemany) -> None:
    """SQLAlchemy ``before_cursor_execute`` listener: refuse a single statement with a NUL byte in a text
    parameter (bulk writes of files are checked by the importer, row by row)."""
    if executemany:
        return
    for value in _values(parameters):
        if isinstance(value, str) and NUL in value:
            raise TextRejected()
