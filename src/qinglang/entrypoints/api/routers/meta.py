"""Health (public), who am I, Prometheus metrics, the platform's outbox pull."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from qinglang import __version__
from qinglang.entrypoints.api.auth import PERMISSIONS, require
from qinglang.entrypoints.api.deps import ERRORS, gov
from qinglang.entrypoints.api.schemas import MeOut, Open, OutboxAckIn
from qinglang.services.users import Principal

router = APIRouter(responses=ERRORS)


@router.get("/api/health", response_model=Open, tags=["meta"], summary="Liveness and readiness (no token needed)")
def health(request: Request) -> dict:
    rt = request.app.state.runtime
    store_ok = True
    try:
        with rt.store.read() as uow:
            uow.audit_log.head()
    except Exception:  # noqa: BLE001 - reported, not raised
        store_ok = False
    lake = rt.app.workspace.lake
    return {"status": "ok" if store_ok else "degraded", "version": __version__, "store": store_ok,
            "lake_version": lake.current_name if lake.exists() else None}


@router.get("/api/me", response_model=MeOut, tags=["meta"], summary="The caller: name, role, permissions")
def me(who: Annotated[Principal, Depends(require("read"))]) -> dict:
    return {"name": who.name, "role": who.role, "expires_at": who.expires_at.isoformat() if who.expires_at else None,
            "permissions": sorted(p for p, roles in PERMISSIONS.items() if who.role in roles)}


@router.get("/metrics", tags=["meta"], summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}})
def metrics(request: Request, who: Annotated[Principal, Depends(require("metrics"))]) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.post("/api/outbox/pull", response_model=list[Open], tags=["outbox"],
             summary="Lease due events (sanctions, reversals, clean-ups, notices) for the platform to apply")
def outbox_pull(request: Request, who: Annotated[Principal, Depends(require("outbox"))],
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                lease_s: Annotated[float, Query(ge=1, le=86400)] = 300) -> list[dict]:
    """At-least-once: what is not acknowledged within the lease comes back. Each event has an `event_key`
    for idempotent application."""
    from qinglang.services.outbox import pull

    return pull(gov(request), limit=limit, lease_s=lease_s, actor=who.name)


@router.post("/api/outbox/ack", response_model=Open, tags=["outbox"], summary="Acknowledge applied events")
def outbox_ack(body: OutboxAckIn, request: Request, who: Annotated[Principal, Depends(require("outbox"))]) -> dict:
    from qinglang.services.outbox import ack

    return {"acknowledged": ack(gov(request), list(body.event_ids), actor=who.name)}
