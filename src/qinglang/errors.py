"""Errors a user can act on.

Every error that reaches a user names what to fix. Entry points turn
`QinglangError` into exit code 2 (bad usage or bad input) with the message on
stderr; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class QinglangError(Exception):
    """Bad usage or bad input: the message tells the user what to fix."""


class InputError(QinglangError):
    """A problem in an input file, located by file, data row (1-based) and column."""

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        where = [f"file {file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class NotFound(QinglangError):
    """A named object (account, case, ...) does not exist."""


class Conflict(QinglangError):
    """A state transition that is not allowed (claiming a claimed case, ...)."""
