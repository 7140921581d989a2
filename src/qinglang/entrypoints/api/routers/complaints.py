"""Netizen complaints (举报): intake (real time), list, show, handle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS, IdQuery, Limit, gov
from qinglang.entrypoints.api.schemas import MAX_ID, ComplaintHandleIn, ComplaintIn, ComplaintOut
from qinglang.services import complaints as K
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/complaints", tags=["complaints"], responses=ERRORS)
ComplaintId = Annotated[int, Path(ge=1, le=MAX_ID)]


def P(permission: str):
    return Annotated[Principal, Depends(require(permission))]


@router.post("", response_model=ComplaintOut, status_code=201, summary="Take in a complaint (受理举报)")
def submit(body: ComplaintIn, request: Request, who: P("complaint.submit")) -> dict:
    """Recorded, acknowledged to the complainant (an outbox event), weighed with other complaints about the
    account: it raises the priority of an open case or opens one at the policy's threshold. The same
    `report_id` twice is taken in once (`duplicate: true`)."""
    return K.submit_complaint(gov(request), reporter_id=body.reporter_id, account_id=body.account_id,
                              category=body.category, text=body.text, post_id=body.post_id,
                              report_id=body.report_id, by=who.name, source="api")


@router.get("", response_model=list[ComplaintOut], summary="List complaints")
def list_complaints(request: Request, who: P("read"), status: Literal["received", "handled"] | None = None,
                    account_id: IdQuery = None, overdue: Annotated[bool, Query()] = False,
                    limit: Limit = 100) -> list[dict]:
    return K.list_complaints(gov(request), status=status, account_id=account_id, overdue=overdue, limit=limit)


@router.get("/{complaint_id}", response_model=ComplaintOut, summary="A complaint")
def show(complaint_id: ComplaintId, request: Request, who: P("read")) -> dict:
    return K.show_complaint(gov(request), complaint_id)


@router.post("/{complaint_id}/handle", response_model=ComplaintOut, summary="Close a complaint with its outcome")
def handle(complaint_id: ComplaintId, body: ComplaintHandleIn, request: Request, who: P("complaint.handle")) -> dict:
    return K.handle_complaint(gov(request), complaint_id, by=who.name, outcome=body.outcome, note=body.note)
