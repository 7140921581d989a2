"""Accounts (dossier, standing, audience audit), findings, workspace statistics."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from qinglang.domain.findings import FindingKind
from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, Limit, Offset, gov, qapp
from qinglang.entrypoints.api.redact import redact
from qinglang.entrypoints.api.schemas import CategoryName, Open
from qinglang.errors import Conflict
from qinglang.services.users import Principal

router = APIRouter(tags=["accounts"], responses=ERRORS)
AccountId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f/]+$")]


def P(permission: str):
    return Annotated[Principal, Depends(require(permission))]


@router.get("/api/accounts/{account_id}", response_model=Open,
            summary="Head-account dossier: profile, tier, standing, cases, complaints, links, history")
def dossier(account_id: AccountId, request: Request, who: P("read"),
            audience: Annotated[bool, Query(description="Include the audience audit.")] = False) -> dict:
    from qinglang.services.casefile import account_dossier

    return redact(account_dossier(qapp(request), account_id, with_audience=audience))


@router.get("/api/accounts/{account_id}/standing", response_model=Open,
            summary="Strikes, limits in force, bans, credit score, what the ladder proposes next")
def standing(account_id: AccountId, request: Request, who: P("read")) -> dict:
    from qinglang.services.standing import account_standing

    return account_standing(gov(request), account_id)


@router.get("/api/accounts/{account_id}/audience", response_model=Open,
            summary="Audience audit: fake share with its 95% interval, quality score, bursts, lockstep groups")
def audience(account_id: AccountId, request: Request, who: P("read"),
             sample: Annotated[int, Query(ge=1000, le=2_000_000)] = 200_000) -> dict:
    from qinglang.services import audience as A

    app = qapp(request)
    if not app.workspace.lake.exists():
        raise Conflict("the workspace has no data yet: nothing to audit")
    return redact(A.audit(app, account_id, sample=sample))


FINDING_KINDS = tuple(k.value for k in FindingKind)


@router.get("/api/findings", response_model=Open, summary="Findings of the last scans (检测结果)")
def findings(request: Request, who: P("read"),
             kind: Literal[FINDING_KINDS] | None = None,  # type: ignore[valid-type]
             category: CategoryName | None = None, subject_id: IdQuery = None, account_id: IdQuery = None,
             min_score: Annotated[float, Query(ge=0, le=1)] = 0.5, limit: Limit = 100, offset: Offset = 0) -> dict:
    import duckdb

    from qinglang.lake.validate import lit

    app = qapp(request)
    dets = app.findings.detectors()
    if not dets:
        return {"findings": [], "limit": limit, "offset": offset}
    where = [f"score >= {float(min_score)!r}"]
    if kind:
        where.append(f"kind = {lit(kind)}")
    if category:
        where.append(f"category = {lit(category)}")
    if subject_id:
        where.append(f"subject_id = {lit(subject_id)}")
    if account_id:
        where.append(f"account_id = {lit(account_id)}")
    files = ", ".join(lit(str(app.findings.path(d))) for d in dets)
    con = duckdb.connect()
    try:
        rows = con.sql(f"SELECT kind, subject_id, related_id, score, category, evidence, account_id "
                       f"FROM read_parquet([{files}], union_by_name=true) WHERE {' AND '.join(where)} "
                       f"ORDER BY score DESC, kind, subject_id, related_id LIMIT {int(limit)} OFFSET {int(offset)}"
                       ).to_arrow_table().to_pylist()
    finally:
        con.close()
    for r in rows:
        try:
            r["evidence"] = json.loads(r["evidence"]) if r["evidence"] else None
        except ValueError:
            pass
    return {"findings": redact(rows), "limit": limit, "offset": offset}


@router.get("/api/stats", response_model=Open, tags=["meta"], summary="Row counts of the lake's tables and tiers")
def stats(request: Request, who: P("read")) -> dict:
    from qinglang.services.stats import workspace_stats

    app = qapp(request)
    if not app.workspace.lake.exists():
        return {"tables": {}, "tiers": {}, "note": "no data yet"}
    return workspace_stats(app)
