"""The SQL store: units of work over one SQLAlchemy engine, with the audit chain advanced at commit."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from qinglang.domain.audit import body_digest, canonical_json, entry_hash, format_time
from qinglang.errors import QinglangError
from qinglang.store.checkpoint import Checkpoint
from qinglang.store.sql import engine as E
from qinglang.store.sql import repos as R

T = TypeVar("T")

_TRANSIENT_PG = {"40001", "40P01", "55P03", "23505"}  # serialization, deadlock, lock timeout, unique race


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _psycopg_error() -> type:
    try:
        import psycopg

        return psycopg.Error
    except ImportError:  # pragma: no cover - SQLite only
        return sa.exc.DBAPIError


# Chain entries onto the head inside one statement (see domain/audit.py for the hash definition).
_PG_APPEND = """
WITH RECURSIVE
  new AS (
    SELECT (e->>'i')::int AS i, e->>'at' AS at, e->>'actor' AS actor, e->>'action' AS action,
           e->>'entity_type' AS entity_type, e->>'entity_id' AS entity_id, e->>'before' AS before,
           e->>'after' AS after, e->>'reason' AS reason, (e->>'automated')::boolean AS automated,
           e->>'digest' AS digest
    FROM jsonb_array_elements(%(entries)s::jsonb) AS e
  ),
  head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
  chain AS (
    SELECT 0 AS i, seq, hash::text AS hash, NULL::text AS prev FROM head
    UNION ALL
    SELECT n.i, c.seq + 1,
           encode(sha256(convert_to(c.hash || ':' || (c.seq + 1)::text || ':' || n.digest, 'UTF8')), 'hex'), c.hash
    FROM chain c JOIN new n ON n.i = c.i + 1
  ),
  ins AS (
    INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before, after, reason, automated,
                           prev_hash, hash)
    SELECT c.seq, n.at, n.actor, n.action, n.entity_type, n.entity_id, n.before, n.after, n.reason, n.automated,
           c.prev, c.hash
    FROM chain c JOIN new n ON n.i = c.i
  )
UPDATE audit_head SET seq = t.seq, hash = t.hash
FROM (SELECT seq, hash FROM chain ORDER BY i DESC LIMIT 1) t
WHERE audit_head.id = 1
RETURNING audit_head.seq, audit_head.hash
"""

# Publish the head as an outbox event when the chain crossed a multiple of `every` entries.
_PG_CHECKPOINT_EVENT = """
INSERT INTO outbox (key, type, payload, created_at, available_at, attempts)
SELECT 'audit.checkpoint:' || seq, 'audit.checkpoint',
       json_build_object('event_key', 'audit.checkpoint:' || seq, 'type', 'audit.checkpoint',
                         'created_at', %(now)s, 'seq', seq, 'hash', hash)::text,
       %(now)s, %(now)s, 0
FROM audit_head WHERE id = 1 AND seq / %(every)s <> (seq - %(k)s) / %(every)s
ON CONFLICT (key) DO NOTHING
"""


class SqlUnitOfWork:
    """One transaction's repositories, plus the audit entries it will append on commit."""

    def __init__(self, conn: Connection, actor: str, now: datetime, writable: bool = True):
        self.conn = conn
        self.actor = actor
        self.now = now
        self.writable = writable
        self.dialect = conn.dialect.name
        self.cases = R.SqlCases(conn)
        self.sanctions = R.SqlSanctions(conn)
        self.appeals = R.SqlAppeals(conn)
        self.complaints = R.SqlComplaints(conn)
        self.guidance = R.SqlGuidance(conn)
        self.outbox = R.SqlOutbox(conn)
        self.audit_log = R.SqlAudit(conn)
        self.registrations = R.SqlRegistrationChecks(conn)
        self.meta = R.SqlMeta(conn)
        self._pending: list[dict[str, Any]] = []

    def audit(self, action: str, entity_type: str, entity_id: Any, before: Any = None, after: Any = None,
              reason: str = "", automated: bool = False, actor: str | None = None) -> None:
        if not self.writable:
            raise RuntimeError("audit entries are written only in a write transaction")
        self._pending.append({
            "at": format_time(self.now),
            "actor": actor or self.actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": canonical_json(before),
            "after": canonical_json(after),
            "reason": reason or "",
            "automated": bool(automated),
        })

    def _commit_audit_pg(self, outbox_every: int | None) -> tuple[int, str] | None:
        """PostgreSQL: chain the pending entries onto the head in one statement and COMMIT in the same
        round trip (pipeline), so the head's row lock is held only on the server; returns the new head.

        The transaction is committed here; the caller's commit afterwards is a no-op.
        """
        if not self._pending:
            return None
        entries = [dict(e, i=i, digest=body_digest(e)) for i, e in enumerate(self._pending, 1)]
        params = {"entries": json.dumps(entries, ensure_ascii=False), "every": outbox_every or 0,
                  "k": len(entries), "now": self.now}
        raw = self.conn.connection.dbapi_connection
        with raw.pipeline():
            cur = raw.cursor()
            cur.execute(_PG_APPEND, params)
            if outbox_every:
                raw.cursor().execute(_PG_CHECKPOINT_EVENT, params)
            raw.commit()
        seq, h = cur.fetchone()
        self._pending.clear()
        return int(seq), h

    def _flush_audit(self, outbox_every: int | None) -> tuple[int, str] | None:
        """Chain the pending entries onto the head (locked until commit); returns the new head."""
        if not self._pending:
            return None
        seq, prev = self.audit_log.head(for_update=True)
        first = seq
        rows = []
        for e in self._pending:
            seq += 1
            e = dict(e, seq=seq, prev_hash=prev)
            e["hash"] = prev = entry_hash(e, e["prev_hash"])
            rows.append(e)
        self.audit_log.append(rows, (seq, prev))
        self._pending.clear()
        if outbox_every and first // outbox_every != seq // outbox_every:
            self.outbox.add(f"audit.checkpoint:{seq}", "audit.checkpoint", {"seq": seq, "hash": prev}, self.now)
        return seq, prev


class SqlStore:
    """SQLite or PostgreSQL behind the store interfaces; migrations applied on open."""

    def __init__(self, url: str, checkpoint_path: Path | None = None, outbox_checkpoint_every: int | None = None,
                 pool_size: int = 5, max_overflow: int = 64, migrate: bool = True):
        self.url = E.normalise_url(url)
        self.engine = E.make_engine(self.url, pool_size=pool_size, max_overflow=max_overflow)
        self.dialect = self.engine.dialect.name
        self.outbox_checkpoint_every = outbox_checkpoint_every
        # SQLite has one writer at a time: threads of this process queue on a lock instead of the
        # busy handler's sleeps (other processes still wait on the database lock itself)
        self._sqlite_writer = threading.RLock() if self.dialect == "sqlite" else None
        if migrate:
            E.migrate(self.engine)
        self.store_id = self._store_id()
        self.checkpoint = Checkpoint(checkpoint_path, self.store_id) if checkpoint_path else None

    @property
    def display_url(self) -> str:
        return E.redact(self.url)

    def _store_id(self) -> str:
        def work(uow: SqlUnitOfWork) -> str:
            sid = uow.meta.get("store_id")
            if sid is None:
                sid = uuid.uuid4().hex
                uow.meta.set("store_id", sid)
            return sid

        with self.read() as uow:
            sid = uow.meta.get("store_id")
        return sid or self.run(work, actor="qinglang")

    # --- transactions ----------------------------------------------------
    def run(self, fn: Callable[[SqlUnitOfWork], T], actor: str, now: datetime | None = None,
            attempts: int = 8) -> T:
        if not actor or not str(actor).strip():
            raise QinglangError("every change needs an actor (who does it)")
        for attempt in range(attempts):
            try:
                with self._sqlite_writer or contextlib.nullcontext(), self.engine.connect() as conn:
                    with conn.begin():
                        uow = SqlUnitOfWork(conn, actor, now or utcnow())
                        result = fn(uow)
                        if self.dialect == "postgresql":
                            head = uow._commit_audit_pg(self.outbox_checkpoint_every)
                        else:
                            head = uow._flush_audit(self.outbox_checkpoint_every)
                if head and self.checkpoint is not None:
                    self.checkpoint.advance(*head)
                return result
            except (sa.exc.DBAPIError, _psycopg_error()) as e:
                if attempt + 1 < attempts and self._transient(e):
                    time.sleep(min(1.0, 0.01 * 2 ** attempt) * (0.5 + random.random()))
                    continue
                raise

    def _transient(self, e: Exception) -> bool:
        orig = getattr(e, "orig", e)
        if self.dialect == "postgresql":
            return getattr(orig, "sqlstate", None) in _TRANSIENT_PG
        msg = str(orig).lower()
        return "locked" in msg or "busy" in msg or (isinstance(e, sa.exc.IntegrityError) and "unique" in msg)

    @contextlib.contextmanager
    def read(self, now: datetime | None = None) -> Iterator[SqlUnitOfWork]:
        """A read-only unit of work on one consistent snapshot (REPEATABLE READ on PostgreSQL; a WAL read on SQLite)."""
        opts = {"isolation_level": "REPEATABLE READ"} if self.dialect == "postgresql" else {"qinglang_begin": "DEFERRED"}
        with self.engine.connect().execution_options(**opts) as conn:
            with conn.begin():
                yield SqlUnitOfWork(conn, "reader", now or utcnow(), writable=False)

    def close(self) -> None:
        if self.checkpoint is not None:
            self.checkpoint.flush()
        self.engine.dispose()
