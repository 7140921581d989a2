"""Users, roles and API tokens (admin only). A new token is shown once, in the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS
from qinglang.entrypoints.api.schemas import DisableIn, NewTokenOut, Open, RevokeIn, RoleIn, TokenIn, UserIn, UserOut
from qinglang.services import users as U
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/users", tags=["users"], responses=ERRORS)
Admin = Annotated[Principal, Depends(require("users.manage"))]
UserName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f/]+$")]


def _store(request: Request):
    return request.app.state.runtime.store


def _not_self(who: Principal, name: str, what: str) -> None:
    """An administrator cannot lock themselves out: another administrator does it."""
    from qinglang.errors import Conflict

    if who.name == name:
        raise Conflict(f"you cannot {what}; ask another administrator")


def _expiry(body) -> float | None:
    return None if body.no_expiry else body.expires_days


@router.get("", response_model=list[UserOut], summary="Users, roles and their tokens (never the tokens themselves)")
def list_users(request: Request, who: Admin) -> list[dict]:
    return U.list_users(_store(request))


@router.post("", response_model=NewTokenOut, status_code=201, summary="Create a user with a role and a first token")
def add(body: UserIn, request: Request, who: Admin) -> dict:
    return U.add_user(_store(request), body.name, body.role, by=who.name, expires_days=_expiry(body),
                      label=body.label, display_name=body.display_name)


@router.get("/{name}", response_model=UserOut, summary="A user")
def show(name: UserName, request: Request, who: Admin) -> dict:
    return U.show_user(_store(request), name)


@router.post("/{name}/tokens", response_model=NewTokenOut, status_code=201, summary="Issue another token")
def token(name: UserName, request: Request, who: Admin, body: TokenIn | None = None) -> dict:
    body = body or TokenIn()
    return U.issue_token(_store(request), name, by=who.name, expires_days=_expiry(body), label=body.label)


@router.post("/{name}/revoke", response_model=Open, summary="Revoke one token, or all of the user's tokens")
def revoke(name: UserName, request: Request, who: Admin, body: RevokeIn | None = None) -> dict:
    body = body or RevokeIn()
    return U.revoke(_store(request), name, by=who.name, token_id=body.token_id, reason=body.reason)


@router.post("/{name}/role", response_model=Open, summary="Change a user's role")
def role(name: UserName, body: RoleIn, request: Request, who: Admin) -> dict:
    _not_self(who, name, "change your own role")
    return U.set_role(_store(request), name, body.role, by=who.name, reason=body.reason)


@router.post("/{name}/disable", response_model=UserOut, summary="Disable a user (all tokens stop working)")
def disable(name: UserName, request: Request, who: Admin, body: DisableIn | None = None) -> dict:
    _not_self(who, name, "disable yourself")
    return U.disable_user(_store(request), name, by=who.name, reason=(body or DisableIn()).reason)
