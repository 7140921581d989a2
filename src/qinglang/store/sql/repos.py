"""SQLAlchemy implementations of the store's repositories (store/interfaces.py).

Every repository works on the one connection of its unit of work. Row locks
(`for_update`) render as FOR UPDATE on PostgreSQL; on SQLite the whole write
transaction already holds the database's write lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from qinglang.domain.cases import Case, CaseStatus, Stage
from qinglang.store.sql import tables as T

_CHUNK = 500


def _chunks(items: list, n: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class _Repo:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def _lock(self, q, for_update: bool, skip_locked: bool = False):
        if for_update and self.pg:
            return q.with_for_update(skip_locked=skip_locked)
        return q

    def _insert(self, table: sa.Table, values: dict[str, Any]) -> int:
        pk = list(table.primary_key.columns)[0]
        return self.conn.execute(sa.insert(table).values(**values).returning(pk)).scalar_one()

    def _rows(self, q) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def _one(self, q) -> dict[str, Any] | None:
        r = self.conn.execute(q).first()
        return dict(r._mapping) if r is not None else None


class SqlCases(_Repo):
    t = T.cases

    def add(self, **values: Any) -> int:
        values.setdefault("version", 1)
        return self._insert(self.t, values)

    def get(self, case_id: int, for_update: bool = False) -> Case | None:
        r = self._one(self._lock(sa.select(self.t).where(self.t.c.case_id == case_id), for_update))
        return Case.from_row(r) if r else None

    def update(self, case_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.case_id == case_id)
                          .values(**values, version=self.t.c.version + 1))

    def open_for(self, pairs: Iterable[tuple[str, str]], for_update: bool = False) -> dict[tuple[str, str], Case]:
        wanted = set(pairs)
        out: dict[tuple[str, str], Case] = {}
        for chunk in _chunks(sorted({a for a, _ in wanted})):
            q = sa.select(self.t).where(self.t.c.account_id.in_(chunk), self.t.c.status != CaseStatus.RESOLVED.value)
            for r in self._rows(self._lock(q.order_by(self.t.c.case_id), for_update)):
                key = (r["account_id"], r["category"])
                if key in wanted:
                    out[key] = Case.from_row(r)
        return out

    def _filters(self, q, status=None, category=None, severity=None, account_id=None, claimed_by=None, tier=None,
                 overdue_at=None, stage=None, categories=None, severities=None):
        c = self.t.c
        if status:
            q = q.where(c.status.in_(list(status)))
        if category:
            q = q.where(c.category == category)
        if categories:
            q = q.where(c.category.in_(list(categories)))
        if severity:
            q = q.where(c.severity == severity)
        if severities:
            q = q.where(c.severity.in_(list(severities)))
        if account_id:
            q = q.where(c.account_id == account_id)
        if claimed_by:
            q = q.where(c.claimed_by == claimed_by)
        if tier:
            q = q.where(c.tier == tier)
        if stage:
            q = q.where(c.stage == stage)
        if overdue_at is not None:
            q = q.where(c.status != CaseStatus.RESOLVED.value, c.due_at < overdue_at)
        return q

    def next_claimable(self, reviewer: str, now: datetime, categories: list[str] | None = None,
                       severities: list[str] | None = None, tier: str | None = None) -> Case | None:
        c = self.t.c
        q = sa.select(self.t).where(
            sa.or_(c.status == CaseStatus.OPEN.value,
                   sa.and_(c.status == CaseStatus.CLAIMED.value, c.lease_until < now)),
            sa.or_(c.stage == Stage.REVIEW.value, c.first_reviewer.is_(None), c.first_reviewer != reviewer),
        )
        q = self._filters(q, categories=categories, severities=severities, tier=tier)
        q = q.order_by(c.priority.desc(), c.due_at.is_(None), c.due_at, c.case_id).limit(1)
        r = self._one(self._lock(q, True, skip_locked=True))
        return Case.from_row(r) if r else None

    def list(self, status: list[str] | None = None, category: str | None = None, severity: str | None = None,
             account_id: str | None = None, claimed_by: str | None = None, tier: str | None = None,
             overdue_at: datetime | None = None, stage: str | None = None, limit: int | None = None,
             offset: int = 0) -> list[Case]:
        c = self.t.c
        q = self._filters(sa.select(self.t), status, category, severity, account_id, claimed_by, tier, overdue_at, stage)
        q = q.order_by(c.priority.desc(), c.due_at.is_(None), c.due_at, c.case_id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return [Case.from_row(r) for r in self._rows(q)]

    def count_by(self, *columns: str, status: list[str] | None = None) -> list[dict[str, Any]]:
        cols = [self.t.c[n] for n in columns]
        q = sa.select(*cols, sa.func.count().label("n")).group_by(*cols).order_by(*cols)
        if status:
            q = q.where(self.t.c.status.in_(status))
        return self._rows(q)

    # --- findings attached to cases ------------------------------------
    def add_findings(self, rows: list[dict[str, Any]]) -> int:
        if rows:
            self.conn.execute(sa.insert(T.case_findings), rows)
        return len(rows)

    def attached_keys(self, account_ids: Iterable[str]) -> set[tuple[str, str, str, str, str]]:
        f = T.case_findings.c
        out: set[tuple[str, str, str, str, str]] = set()
        for chunk in _chunks(sorted(set(account_ids))):
            q = sa.select(f.account_id, f.kind, f.subject_id, f.related_id, f.category).where(f.account_id.in_(chunk))
            out.update(tuple(r) for r in self.conn.execute(q))
        return out

    def findings(self, case_id: int) -> list[dict[str, Any]]:
        f = T.case_findings
        return self._rows(sa.select(f).where(f.c.case_id == case_id).order_by(f.c.score.desc(), f.c.id))

    def touch_findings(self, case_id: int, keys: list[tuple[str, str, str, str]], scores: list[float],
                       evidence: list[Any], now: datetime) -> None:
        f = T.case_findings
        for (kind, subject, related, category), score, ev in zip(keys, scores, evidence):
            self.conn.execute(
                sa.update(f).where(f.c.case_id == case_id, f.c.kind == kind, f.c.subject_id == subject,
                                   f.c.related_id == related, f.c.category == category)
                .values(score=score, evidence=ev, last_seen=now))

    def add_note(self, case_id: int, author: str, at: datetime, text: str) -> int:
        return self._insert(T.case_notes, {"case_id": case_id, "author": author, "at": at, "text": text})

    def notes(self, case_id: int) -> list[dict[str, Any]]:
        n = T.case_notes
        return self._rows(sa.select(n).where(n.c.case_id == case_id).order_by(n.c.note_id))


class SqlSanctions(_Repo):
    t = T.sanctions

    def add(self, **values: Any) -> int:
        return self._insert(self.t, values)

    def get(self, sanction_id: int, for_update: bool = False) -> dict[str, Any] | None:
        return self._one(self._lock(sa.select(self.t).where(self.t.c.sanction_id == sanction_id), for_update))

    def update(self, sanction_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.sanction_id == sanction_id).values(**values))

    def for_account(self, account_id: str) -> list[dict[str, Any]]:
        return self._rows(sa.select(self.t).where(self.t.c.account_id == account_id).order_by(self.t.c.sanction_id))

    def for_case(self, case_id: int) -> list[dict[str, Any]]:
        return self._rows(sa.select(self.t).where(self.t.c.case_id == case_id).order_by(self.t.c.sanction_id))

    def for_accounts(self, account_ids: Iterable[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(set(account_ids))):
            out += self._rows(sa.select(self.t).where(self.t.c.account_id.in_(chunk)).order_by(self.t.c.sanction_id))
        return out

    def due_to_end(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t).where(c.status == "active", c.ends_at.is_not(None), c.ends_at <= now)
        return self._rows(self._lock(q.order_by(c.ends_at, c.sanction_id).limit(limit), True, skip_locked=True))

    def bans(self) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(c.account_id, c.action, c.category, c.decided_at, c.ends_at, c.ban_until, c.permanent_ban,
                      c.status).where(c.status != "reversed").order_by(c.sanction_id)
        return self._rows(q)

    def list(self, account_id: str | None = None, status: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t)
        if account_id:
            q = q.where(c.account_id == account_id)
        if status:
            q = q.where(c.status == status)
        if since is not None:
            q = q.where(c.decided_at >= since)
        if until is not None:
            q = q.where(c.decided_at < until)
        q = q.order_by(c.sanction_id.desc())
        if limit is not None:
            q = q.limit(limit)
        return self._rows(q)

    def add_cleanup(self, **values: Any) -> int:
        return self._insert(T.cleanups, values)

    def cleanups(self, account_id: str | None = None, sanction_id: int | None = None) -> list[dict[str, Any]]:
        c = T.cleanups.c
        q = sa.select(T.cleanups)
        if account_id:
            q = q.where(c.account_id == account_id)
        if sanction_id is not None:
            q = q.where(c.sanction_id == sanction_id)
        return self._rows(q.order_by(c.cleanup_id))

    def update_cleanup(self, cleanup_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(T.cleanups).where(T.cleanups.c.cleanup_id == cleanup_id).values(**values))

    def add_notice(self, **values: Any) -> int:
        return self._insert(T.notices, values)

    def notices(self, account_id: str | None = None, sanction_id: int | None = None) -> list[dict[str, Any]]:
        c = T.notices.c
        q = sa.select(T.notices)
        if account_id:
            q = q.where(c.account_id == account_id)
        if sanction_id is not None:
            q = q.where(c.sanction_id == sanction_id)
        return self._rows(q.order_by(c.notice_id))


class SqlAppeals(_Repo):
    t = T.appeals

    def add(self, **values: Any) -> int:
        return self._insert(self.t, values)

    def get(self, appeal_id: int, for_update: bool = False) -> dict[str, Any] | None:
        return self._one(self._lock(sa.select(self.t).where(self.t.c.appeal_id == appeal_id), for_update))

    def for_sanction(self, sanction_id: int) -> dict[str, Any] | None:
        return self._one(sa.select(self.t).where(self.t.c.sanction_id == sanction_id))

    def update(self, appeal_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.appeal_id == appeal_id).values(**values))

    def list(self, status: str | None = None, account_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t)
        if status:
            q = q.where(c.status == status)
        if account_id:
            q = q.where(c.account_id == account_id)
        q = q.order_by(c.due_at, c.appeal_id)
        if limit is not None:
            q = q.limit(limit)
        return self._rows(q)

    def next_claimable(self, reviewer: str, now: datetime) -> dict[str, Any] | None:
        c, s = self.t.c, T.sanctions.c
        q = (sa.select(self.t).join(T.sanctions, s.sanction_id == c.sanction_id)
             .where(c.status == "pending", s.decided_by != reviewer,
                    sa.or_(s.second_reviewer.is_(None), s.second_reviewer != reviewer))
             .order_by(c.due_at, c.appeal_id).limit(1))
        return self._one(self._lock(q, True, skip_locked=True))


class SqlComplaints(_Repo):
    t = T.complaints

    def add(self, **values: Any) -> int | None:
        return self.add_many([values])[0]

    def add_many(self, rows: list[dict[str, Any]]) -> list[int | None]:
        if not rows:
            return []
        known = self.known_report_ids(r["report_id"] for r in rows if r.get("report_id") is not None)
        out: list[int | None] = [None] * len(rows)
        todo, seen = [], set(known)
        for i, r in enumerate(rows):
            rid = r.get("report_id")
            if rid is not None:
                if rid in seen:
                    continue
                seen.add(rid)
            todo.append(i)
        if not todo:
            return out
        cols = sorted({k for i in todo for k in rows[i]})
        params = [{k: rows[i].get(k) for k in cols} for i in todo]
        q = sa.insert(self.t).returning(self.t.c.complaint_id, sort_by_parameter_order=True)
        ids = [r[0] for r in self.conn.execute(q, params)]
        for i, cid in zip(todo, ids):
            out[i] = cid
        return out

    def get(self, complaint_id: int, for_update: bool = False) -> dict[str, Any] | None:
        return self._one(self._lock(sa.select(self.t).where(self.t.c.complaint_id == complaint_id), for_update))

    def update(self, complaint_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.complaint_id == complaint_id).values(**values))

    def known_report_ids(self, report_ids: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(sorted(set(report_ids))):
            out.update(r[0] for r in self.conn.execute(sa.select(self.t.c.report_id).where(self.t.c.report_id.in_(chunk))))
        return out

    def for_accounts(self, account_ids: Iterable[str]) -> list[dict[str, Any]]:
        c = self.t.c
        out: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(set(account_ids))):
            out += self._rows(sa.select(c.complaint_id, c.reporter_id, c.account_id, c.category, c.case_id, c.status,
                                        c.received_at).where(c.account_id.in_(chunk)).order_by(c.complaint_id))
        return out

    def reporter_targets(self, reporter_ids: Iterable[str]) -> list[tuple[str, str, datetime]]:
        """(reporter_id, account_id, received_at) of every complaint by these reporters."""
        c = self.t.c
        out: list[tuple[str, str, datetime]] = []
        for chunk in _chunks(sorted(set(reporter_ids))):
            q = sa.select(c.reporter_id, c.account_id, c.received_at).where(c.reporter_id.in_(chunk))
            out += [(r, a, t) for r, a, t in self.conn.execute(q)]
        return out

    def link(self, complaint_ids: list[int], case_id: int) -> None:
        for chunk in _chunks(complaint_ids):
            self.conn.execute(sa.update(self.t).where(self.t.c.complaint_id.in_(chunk)).values(case_id=case_id))

    def for_case(self, case_id: int) -> list[dict[str, Any]]:
        return self._rows(sa.select(self.t).where(self.t.c.case_id == case_id).order_by(self.t.c.complaint_id))

    def unlinked(self, account_id: str, category: str) -> list[dict[str, Any]]:
        c = self.t.c
        return self._rows(sa.select(self.t).where(c.account_id == account_id, c.category == category,
                                                  c.case_id.is_(None), c.status != "handled"))

    def list(self, status: str | None = None, account_id: str | None = None, overdue_at: datetime | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t)
        if status:
            q = q.where(c.status == status)
        if account_id:
            q = q.where(c.account_id == account_id)
        if overdue_at is not None:
            q = q.where(c.status != "handled", c.due_at < overdue_at)
        q = q.order_by(c.complaint_id.desc())
        if limit is not None:
            q = q.limit(limit)
        return self._rows(q)


class SqlGuidance(_Repo):
    t = T.guidance

    def add(self, **values: Any) -> int:
        return self._insert(self.t, values)

    def get(self, guidance_id: int, for_update: bool = False) -> dict[str, Any] | None:
        return self._one(self._lock(sa.select(self.t).where(self.t.c.guidance_id == guidance_id), for_update))

    def update(self, guidance_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.guidance_id == guidance_id).values(**values))

    def for_accounts(self, account_ids: Iterable[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(set(account_ids))):
            out += self._rows(sa.select(self.t).where(self.t.c.account_id.in_(chunk)).order_by(self.t.c.guidance_id))
        return out

    def list(self, account_id: str | None = None, kind: str | None = None, status: str | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t)
        if account_id:
            q = q.where(c.account_id == account_id)
        if kind:
            q = q.where(c.kind == kind)
        if status:
            q = q.where(c.status == status)
        q = q.order_by(c.guidance_id.desc())
        if limit is not None:
            q = q.limit(limit)
        return self._rows(q)


class SqlOutbox(_Repo):
    t = T.outbox

    def _insert_new(self):
        """INSERT that skips an event whose idempotency key exists."""
        if self.pg:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(self.t).on_conflict_do_nothing(index_elements=["key"])

    @staticmethod
    def _row(key: str, type: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
        body = json.dumps({"event_key": key, "type": type, "created_at": now.isoformat(), **payload},
                          ensure_ascii=False, sort_keys=True, default=str)
        return {"key": key, "type": type, "payload": body, "created_at": now, "available_at": now, "attempts": 0}

    def add(self, key: str, type: str, payload: dict[str, Any], now: datetime) -> int | None:
        q = self._insert_new().values(**self._row(key, type, payload, now)).returning(self.t.c.event_id)
        return self.conn.execute(q).scalar()

    def add_many(self, events: list[tuple[str, str, dict[str, Any]]], now: datetime) -> None:
        if events:
            self.conn.execute(self._insert_new(), [self._row(key, type, payload, now) for key, type, payload in events])

    def pending(self, now: datetime, limit: int, lease: float | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = (sa.select(self.t).where(c.delivered_at.is_(None), c.available_at <= now)
             .order_by(c.event_id).limit(limit))
        rows = self._rows(self._lock(q, lease is not None, skip_locked=True))
        if lease is not None and rows:
            from datetime import timedelta

            self.conn.execute(sa.update(self.t).where(c.event_id.in_([r["event_id"] for r in rows]))
                              .values(available_at=now + timedelta(seconds=lease), attempts=c.attempts + 1))
        return rows

    def mark_delivered(self, event_ids: Iterable[int], now: datetime) -> int:
        ids = list(event_ids)
        n = 0
        for chunk in _chunks(ids):
            n += self.conn.execute(sa.update(self.t).where(self.t.c.event_id.in_(chunk), self.t.c.delivered_at.is_(None))
                                   .values(delivered_at=now, last_error=None)).rowcount
        return n

    def mark_failed(self, event_id: int, error: str, retry_at: datetime) -> None:
        self.conn.execute(sa.update(self.t).where(self.t.c.event_id == event_id)
                          .values(last_error=error[:2000], available_at=retry_at))

    def get(self, event_id: int) -> dict[str, Any] | None:
        return self._one(sa.select(self.t).where(self.t.c.event_id == event_id))

    def stats(self) -> dict[str, Any]:
        c = self.t.c
        r = self.conn.execute(sa.select(
            sa.func.count().label("events"),
            sa.func.count(c.delivered_at).label("delivered"),
            sa.func.count(c.last_error).label("failing"),
            sa.func.min(sa.case((c.delivered_at.is_(None), c.created_at))).label("oldest_pending"),
        )).first()
        d = dict(r._mapping)
        d["pending"] = d["events"] - d["delivered"]
        return d


class SqlAudit(_Repo):
    t = T.audit_log

    def head(self, for_update: bool = False) -> tuple[int, str]:
        q = sa.select(T.audit_head.c.seq, T.audit_head.c.hash).where(T.audit_head.c.id == 1)
        r = self.conn.execute(self._lock(q, for_update)).first()
        return (int(r[0]), r[1])

    def append(self, rows: list[dict[str, Any]], head: tuple[int, str]) -> None:
        """Insert the entries and move the head; on PostgreSQL one statement, to keep the head lock short."""
        upd = sa.update(T.audit_head).where(T.audit_head.c.id == 1).values(seq=head[0], hash=head[1])
        if self.pg:
            self.conn.execute(upd.add_cte(sa.insert(self.t).values(rows).cte("new_entries")))
            return
        self.conn.execute(sa.insert(self.t), rows)
        self.conn.execute(upd)

    def entries(self, start_seq: int = 1, end_seq: int | None = None, since: str | None = None,
                until: str | None = None, batch: int = 5000) -> Iterator[dict[str, Any]]:
        c = self.t.c
        seq = start_seq
        while True:
            q = sa.select(self.t).where(c.seq >= seq)
            if end_seq is not None:
                q = q.where(c.seq <= end_seq)
            if since is not None:
                q = q.where(c.at >= since)
            if until is not None:
                q = q.where(c.at < until)
            rows = self._rows(q.order_by(c.seq).limit(batch))
            yield from rows
            if len(rows) < batch:
                return
            seq = rows[-1]["seq"] + 1

    def get(self, seq: int) -> dict[str, Any] | None:
        return self._one(sa.select(self.t).where(self.t.c.seq == seq))

    def max_seq(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(self.t.c.seq), 0))).scalar())

    def entity_history(self, entity_type: str, entity_id: str) -> list[dict[str, Any]]:
        c = self.t.c
        return self._rows(sa.select(self.t).where(c.entity_type == entity_type, c.entity_id == str(entity_id)).order_by(c.seq))


class SqlRegistrationChecks(_Repo):
    t = T.registration_checks

    def add(self, **values: Any) -> int:
        return self._insert(self.t, values)

    def list(self, since: datetime | None = None, until: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        c = self.t.c
        q = sa.select(self.t)
        if since is not None:
            q = q.where(c.at >= since)
        if until is not None:
            q = q.where(c.at < until)
        q = q.order_by(c.check_id.desc())
        if limit is not None:
            q = q.limit(limit)
        return self._rows(q)


class SqlMeta(_Repo):
    def get(self, key: str) -> str | None:
        r = self.conn.execute(sa.select(T.store_meta.c.value).where(T.store_meta.c.key == key)).first()
        return r[0] if r else None

    def set(self, key: str, value: str) -> None:
        if self.get(key) is None:
            self.conn.execute(sa.insert(T.store_meta).values(key=key, value=value))
        else:
            self.conn.execute(sa.update(T.store_meta).where(T.store_meta.c.key == key).values(value=value))
