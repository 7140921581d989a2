"""Sanctions (read) and guidance records (list, add)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, Limit, gov
from qinglang.entrypoints.api.schemas import MAX_ID, GuidanceIn, Open, SanctionOut
from qinglang.services import enforcement as E
from qinglang.services import guidance as G
from qinglang.services.users import Principal

router = APIRouter(tags=["sanctions"], responses=ERRORS)
SanctionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def P(permission: str):
    return Annotated[Principal, Depends(require(permission))]


@router.get("/api/sanctions", response_model=list[SanctionOut], summary="List sanctions")
def list_sanctions(request: Request, who: P("read"), account_id: IdQuery = None,
                   status: Literal["active", "expired", "reversed"] | None = None, limit: Limit = 100) -> list[dict]:
    return E.list_sanctions(gov(request), account_id=account_id, status=status, limit=limit)


@router.get("/api/sanctions/{sanction_id}", response_model=SanctionOut,
            summary="A sanction with its notices, clean-ups and appeal")
def show(sanction_id: SanctionId, request: Request, who: P("read")) -> dict:
    return E.show_sanction(gov(request), sanction_id)


@router.get("/api/guidance", response_model=list[Open], summary="Guidance, interviews, correction orders, recognition")
def list_guidance(request: Request, who: P("read"), account_id: IdQuery = None,
                  kind: Literal["guidance", "interview", "correction", "recognition"] | None = None,
                  status: Literal["open", "done", "revoked"] | None = None, limit: Limit = 100) -> list[dict]:
    return G.list_guidance(gov(request), account_id=account_id, kind=kind, status=status, limit=limit)


@router.post("/api/guidance", response_model=Open, status_code=201, summary="Record guidance (提醒指导、约谈、责令整改)")
def add_guidance(body: GuidanceIn, request: Request, who: P("guidance.add")) -> dict:
    if body.case_id is not None:
        from qinglang.services.cases import show_case

        show_case(gov(request), body.case_id, with_history=False)  # 404 when there is no such case
    return G.add_guidance(gov(request), account_id=body.account_id, kind=body.kind, text=body.text, by=who.name,
                          corrections=body.corrections, due_days=body.due_days, case_id=body.case_id)
