"""The SQL store: cases, sanctions, appeals, complaints, guidance, notices, outbox, audit log, registration checks.

Interfaces in store/interfaces.py (one protocol per concern); one SQLAlchemy 2
implementation in store/sql/ for SQLite (default, a file in the workspace) and
PostgreSQL; Alembic migrations in store/migrations/, applied on open.
"""

from __future__ import annotations

from pathlib import Path

from qinglang.store.sql.store import SqlStore, SqlUnitOfWork, utcnow

__all__ = ["SqlStore", "SqlUnitOfWork", "open_store", "utcnow"]


def open_store(url: str, checkpoint_path: Path | None = None, **options) -> SqlStore:
    return SqlStore(url, checkpoint_path=checkpoint_path, **options)
