"""The FastAPI application: built from a bootstrap.App, resources under /api/, console under /console/.

    from qinglang.entrypoints.api import create_app
    api = create_app(build(home, db))      # or create_app(home=..., db=...)

Errors a client can act on come back as JSON {"detail": "..."}: 400 bad input
(QinglangError), 401 missing/unknown/expired/revoked token, 403 role without the
permission, 404 not found, 409 a transition that is not allowed, 422 a body or
parameter that does not match the schema.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from qinglang import __version__
from qinglang.entrypoints.api.auth import Forbidden
from qinglang.entrypoints.api.metrics import Metrics, MetricsMiddleware
from qinglang.entrypoints.api.runtime import Runtime
from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services.users import AuthError

log = logging.getLogger("qinglang.api")

DESCRIPTION = """qinglang (清朗) governs high-influence accounts: real-time registration/rename checks against
the banned registry, post screening, complaint intake; findings and audience audits; review cases,
claims, decisions, appeals; account standing; regulator reports; the audit log.

Authenticate with `Authorization: Bearer TOKEN` (`qinglang users add NAME --role ROLE` prints one).
Roles: analyst, reviewer, senior_reviewer, admin, auditor (read-only). Every write is recorded in
the hash-chained audit log with the token's owner as the actor. Identity values (phones, devices,
IPs, ...) are hashed on arrival and never returned. See docs/api.md."""

TAGS = [
    {"name": "realtime", "description": "Registration and rename checks, post screening (实时核验与内容筛查)."},
    {"name": "cases", "description": "Review cases: queue, claim, decide, second review (案件审核)."},
    {"name": "appeals", "description": "Appeals against sanctions (申诉)."},
    {"name": "complaints", "description": "Netizen complaints (举报)."},
    {"name": "accounts", "description": "Head-account dossier, standing, audience audit (账号档案)."},
    {"name": "findings", "description": "Detector findings (检测结果)."},
    {"name": "sanctions", "description": "Sanctions and guidance (处置与提醒指导)."},
    {"name": "audit", "description": "The hash-chained audit log (审计日志)."},
    {"name": "reports", "description": "Regulator reports and figures (报告)."},
    {"name": "users", "description": "Users, roles and API tokens (用户与令牌)."},
    {"name": "outbox", "description": "Events for the platform to apply (sanctions, reversals, clean-ups)."},
    {"name": "meta", "description": "Health, identity, statistics, metrics."},
]


def _json(status: int, detail, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError):
        return _json(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @api.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return _json(403, str(exc))

    @api.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return _json(404, str(exc))

    @api.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return _json(409, str(exc))

    @api.exception_handler(QinglangError)
    async def _bad(request: Request, exc: QinglangError):
        return _json(400, str(exc))


def create_app(qapp=None, *, home=None, db=None, console: bool = True, warm: bool = True) -> FastAPI:
    if qapp is None:
        from qinglang.bootstrap import build

        qapp = build(home, db)
    runtime = Runtime(qapp)

    @asynccontextmanager
    async def lifespan(_api: FastAPI):
        qapp.store  # noqa: B018 - open (and migrate) the store before the first request
        if warm:
            runtime.warm()
        try:
            yield
        finally:
            runtime.close()

    api = FastAPI(title="qinglang API", version=__version__, description=DESCRIPTION, openapi_tags=TAGS,
                  lifespan=lifespan, docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    api.state.runtime = runtime
    api.state.metrics = Metrics(runtime)
    install_error_handlers(api)

    from qinglang.entrypoints.api.routers import ROUTERS

    for router in ROUTERS:
        api.include_router(router)
    if console:
        from qinglang.entrypoints.web import mount_console

        mount_console(api)
    api.add_middleware(MetricsMiddleware, metrics=api.state.metrics)
    return api
