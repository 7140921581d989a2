"""Who may call what: permissions, the roles that hold them, and the FastAPI dependency that checks them.

Every endpoint but /api/health names one permission; `require(permission)` reads the
bearer token (`Authorization: Bearer ql_...`), refuses a missing, unknown, expired or
revoked token with 401 and a role without the permission with 403, and hands the
endpoint the `Principal` (the token's owner is the actor of every write).
"""

from __future__ import annotations

from typing import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qinglang.services.users import AuthError, Principal, Role, authenticate

A, R, S, D, U = Role.ANALYST.value, Role.REVIEWER.value, Role.SENIOR_REVIEWER.value, Role.ADMIN.value, Role.AUDITOR.value
ALL = frozenset({A, R, S, D, U})
WORKERS = frozenset({A, R, S, D})  # everyone but the read-only auditor

#: permission -> roles holding it (docs/api.md has the same table)
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": ALL,                               # cases, findings, accounts, audits, sanctions, appeals, complaints, stats
    "metrics": ALL,                            # /metrics (Prometheus)
    "realtime": WORKERS,                       # registration / rename checks, post screening
    "complaint.submit": WORKERS,               # complaint intake
    "case.open": WORKERS,                      # open a case by hand or on a referral
    "case.note": WORKERS,
    "appeal.file": WORKERS,                    # file an account's appeal
    "case.claim": frozenset({R, S, D}),        # claim / release
    "case.decide": frozenset({R, S, D}),
    "complaint.handle": frozenset({R, S, D}),
    "guidance.add": frozenset({R, S, D}),
    "case.second_review": frozenset({S, D}),   # confirm / reject another reviewer's decision
    "case.reassign": frozenset({S, D}),
    "appeal.decide": frozenset({S, D}),        # claim and decide appeals
    "audit.read": frozenset({S, D, U}),        # the audit log and its chain status
    "report": frozenset({A, S, D, U}),         # regulator reports and figures
    "users.manage": frozenset({D}),            # users, roles, tokens
    "outbox": frozenset({D}),                  # the platform's pull of sanction events
}

bearer = HTTPBearer(auto_error=False, description="An API token from `qinglang users add NAME --role ROLE`.")


class Forbidden(Exception):
    def __init__(self, principal: Principal, permission: str):
        self.principal = principal
        self.permission = permission
        roles = ", ".join(sorted(PERMISSIONS[permission]))
        super().__init__(f"{principal.name} ({principal.role}) may not do this: it needs permission "
                         f"'{permission}', held by {roles}")


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def check(principal: Principal, permission: str) -> None:
    if not allowed(principal.role, permission):
        raise Forbidden(principal, permission)


def principal_from(request: Request, token: str | None) -> Principal:
    rt = request.app.state.runtime
    return authenticate(rt.store, token)


def require(permission: str) -> Callable:
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    async def dependency(request: Request,
                         creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
        if creds is None:
            raise AuthError("no API token: send `Authorization: Bearer TOKEN`")
        principal = principal_from(request, creds.credentials)
        request.state.principal = principal
        check(principal, permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency
