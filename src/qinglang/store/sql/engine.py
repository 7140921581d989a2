"""Connecting to the store's database and bringing its schema up to date.

SQLite (the default, a file in the workspace): WAL journal, full sync, foreign
keys on, and every write transaction opened with BEGIN IMMEDIATE, so writers
queue on the file lock instead of failing half-way. PostgreSQL: psycopg 3,
READ COMMITTED, row locks (FOR UPDATE [SKIP LOCKED]) where work is claimed.

The Alembic migrations shipped in qinglang/store/migrations are applied on
open, under a lock (PostgreSQL advisory lock; SQLite's write lock), so two
processes opening a new store at once migrate it once.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from qinglang.errors import QinglangError

_MIGRATION_LOCK_KEY = 0x71696E67  # "qing"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// (meaning psycopg 3), sqlite:///path or a bare file path."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"://([^:@/]+):[^@/]+@", r"://\1:***@", url)


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 64) -> Engine:
    url = normalise_url(url)
    try:
        u = make_url(url)
    except Exception as e:
        raise QinglangError(f"store URL {url!r} is not valid: {e}") from None
    if u.get_backend_name() == "sqlite":
        db = u.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 120, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=300,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # transactions are begun explicitly below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=120000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            mode = conn.get_execution_options().get("qinglang_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if u.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=300,
                                pool_recycle=1800)
    raise QinglangError(f"store URL {redact(url)}: only sqlite and postgresql are supported")


def _alembic_config(connection=None):
    from alembic.config import Config

    import qinglang.store.migrations as migrations

    cfg = Config()
    cfg.set_main_option("script_location", os.path.dirname(migrations.__file__))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect().execution_options(qinglang_begin="DEFERRED") as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(engine: Engine) -> bool:
    """Apply pending migrations; returns whether anything was applied."""
    from alembic import command

    try:
        if current_revision(engine) == head_revision():
            return False
    except sa.exc.OperationalError as e:
        raise QinglangError(f"cannot open the store {redact(str(engine.url))}: {e.orig}") from None
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        command.upgrade(_alembic_config(conn), "head")
    return True
