"""Small helpers shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from qinglang.entrypoints.api.schemas import ErrorOut

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items.")]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input: the message says what to fix."},
    401: {"model": ErrorOut, "description": "Missing, unknown, expired or revoked token."},
    403: {"model": ErrorOut, "description": "The token's role lacks the permission."},
    404: {"model": ErrorOut, "description": "Not found."},
    409: {"model": ErrorOut, "description": "Not allowed in the current state (e.g. claimed by someone else)."},
}


def runtime(request: Request):
    return request.app.state.runtime


def gov(request: Request):
    return request.app.state.runtime.gov


def qapp(request: Request):
    return request.app.state.runtime.app
