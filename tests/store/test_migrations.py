"""The schema comes from the shipped Alembic migrations, applied on open, once, on both databases."""

import subprocess
import sys

import pytest
import sqlalchemy as sa

from qinglang.store import open_store
from qinglang.store.sql import engine as E
from qinglang.store.sql.tables import metadata


def test_migrating_an_empty_database_yields_exactly_the_declared_tables(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
        assert diffs == []
        assert E.current_revision(store.engine) == E.head_revision()
    finally:
        store.close()


def test_opening_again_applies_nothing_and_keeps_the_store_id(store_url):
    a = open_store(store_url)
    sid = a.store_id
    a.close()
    b = open_store(store_url, migrate=False)
    assert not E.migrate(b.engine)
    assert b.store_id == sid
    b.close()


def test_the_audit_log_refuses_update_and_delete(store_url):
    store = open_store(store_url)
    try:
        store.run(lambda uow: uow.audit("test.entry", "case", 1, None, {"x": 1}, "r"), actor="alice")
        for stmt in ("UPDATE audit_log SET reason = 'forged'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with store.engine.begin() as conn:
                    conn.exec_driver_sql(stmt)
        with store.read() as uow:
            rows = list(uow.audit_log.entries())
        assert len(rows) == 1 and rows[0]["reason"] == "r"
    finally:
        store.close()


def test_two_processes_opening_a_new_store_at_once_migrate_it_once(store_url):
    code = ("import sys; from qinglang.store import open_store; s = open_store(sys.argv[1]); "
            "print(s.store_id); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    assert len({o[0].strip() for o in outs}) == 1  # one store id: one store, created once


def test_bad_store_urls_are_refused_clearly(tmp_path):
    from qinglang.errors import QinglangError

    with pytest.raises(QinglangError, match="only sqlite and postgresql"):
        open_store("mysql://x@localhost/db")
    with pytest.raises(QinglangError, match="cannot open the store"):
        open_store("postgresql://nobody@127.0.0.1:1/none")
    assert E.normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert E.normalise_url(str(tmp_path / "s.sqlite")).startswith("sqlite:///")
    assert "secret" not in E.redact("postgresql+psycopg://u:secret@h/db")
