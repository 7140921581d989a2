"""The audit log: entries (paged by sequence number) and the chain's status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, gov
from qinglang.entrypoints.api.schemas import MAX_ID, AuditPageOut, ChainOut
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require("audit.read"))]


def audit_page(g, *, after_seq: int = 0, limit: int = 100, entity_type: str | None = None,
               entity_id: str | None = None, actor: str | None = None, action: str | None = None,
               newest_first: bool = False) -> dict:
    import sqlalchemy as sa

    from qinglang.store.sql import tables as T

    c = T.audit_log.c
    q = sa.select(T.audit_log)
    if newest_first:
        if after_seq:
            q = q.where(c.seq < after_seq)
        q = q.order_by(c.seq.desc())
    else:
        q = q.where(c.seq > after_seq).order_by(c.seq)
    if entity_type:
        q = q.where(c.entity_type == entity_type)
    if entity_id:
        q = q.where(c.entity_id == entity_id)
    if actor:
        q = q.where(c.actor == actor)
    if action:
        q = q.where(c.action == action)
    with g.store.read() as uow:
        rows = [dict(r._mapping) for r in uow.conn.execute(q.limit(limit))]
    nxt = rows[-1]["seq"] if len(rows) == limit else None
    return {"entries": rows, "next_after_seq": nxt}


@router.get("", response_model=AuditPageOut, summary="Audit-log entries, oldest first, after a sequence number")
def entries(request: Request, who: Reader,
            after_seq: Annotated[int, Query(ge=0, le=MAX_ID, description="Entries with seq above this.")] = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100, entity_type: IdQuery = None, entity_id: IdQuery = None,
            actor: IdQuery = None, action: IdQuery = None) -> dict:
    return audit_page(gov(request), after_seq=after_seq, limit=limit, entity_type=entity_type, entity_id=entity_id,
                      actor=actor, action=action)


@router.get("/verify", response_model=ChainOut, summary="Verify the hash chain, its head and the checkpoint")
def verify(request: Request, who: Reader) -> dict:
    from qinglang.services.audit import verify as verify_chain

    return verify_chain(gov(request)).as_dict()
