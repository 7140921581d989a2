"""Real-time calls: registration and rename checks against the banned registry, post screening.

They return the CLI's JSON fields: a registration check gives {decision, ban_expired, matches:
[{banned_account_id, score, evidence}]} like `qinglang check-registration --json`; screening gives,
per post, {index, decision, categories, spans, ...} like `qinglang screen --json`.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from qinglang.entrypoints.api.auth import require
from qinglang.entrypoints.api.deps import ERRORS
from qinglang.entrypoints.api.redact import redact
from qinglang.entrypoints.api.schemas import (RegistrationCheckIn, RegistrationCheckOut, RenameCheckIn, ScreenIn,
                                              ScreenOut)
from qinglang.errors import Conflict, QinglangError
from qinglang.services.users import Principal

router = APIRouter(prefix="/api/realtime", tags=["realtime"], responses=ERRORS)
Realtime = Annotated[Principal, Depends(require("realtime"))]


def _request(body: RegistrationCheckIn, account_id: str | None = None) -> dict:
    req: dict = {"nickname": body.nickname, "identities": [{"kind": i.kind, "value": i.value} for i in body.identities]}
    if body.avatar_hash:
        req["avatar_hash"] = body.avatar_hash
    if body.at is not None:
        req["at"] = body.at.isoformat()
    if account_id is not None:
        req["account_id"] = account_id
    return req


def _json(result: dict) -> Response:
    """The check's answer serialised once, as Starlette's JSONResponse would (same bytes), without the
    response-model validation and jsonable_encoder pass: the answer is built by the registry in the
    documented shape (RegistrationCheckOut, still the route's OpenAPI response schema and checked by the
    schemathesis test), and these two routes carry the real-time load."""
    body = json.dumps(result, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return Response(body.encode("utf-8"), media_type="application/json")


async def _check(request: Request, req: dict, source: str, who: Principal) -> Response:
    rt = request.app.state.runtime
    if not rt.registry_ready():
        # the first call loads (or builds) the registry: off the event loop
        try:
            await run_in_threadpool(rt.load_registry)
        except QinglangError as e:
            raise Conflict(f"the banned registry is not available: {e}") from None
    svc = rt.registration
    result = svc.check(req, source=source, actor=who.name)
    request.app.state.metrics.decisions.labels(source, result["decision"]).inc()
    return _json(redact(result))


@router.post("/registration-check", response_model=RegistrationCheckOut,
             summary="Check a new registration against the banned registry (注册核验)")
async def registration_check(body: RegistrationCheckIn, request: Request, who: Realtime) -> Response:
    """`block`: a certain match whose ban still runs; `review`: a likely one; `pass` otherwise.
    `ban_expired`: the best match's ban has ended, so the registration is allowed and reported as such.
    Identity values are hashed at once and never stored or returned."""
    return await _check(request, _request(body), "registration", who)


@router.post("/rename-check", response_model=RegistrationCheckOut,
             summary="Check an account's new nickname/avatar against the banned registry (改名核验)")
async def rename_check(body: RenameCheckIn, request: Request, who: Realtime) -> Response:
    return await _check(request, _request(body, body.account_id), "rename", who)


@router.post("/screen", response_model=ScreenOut, summary="Screen posts (内容筛查)")
def screen(body: ScreenIn, request: Request, who: Realtime) -> dict:
    """Each post gets a decision (pass, review, block), scores per category and the matched spans
    (start/end in code points of the original text, end exclusive)."""
    if (body.texts is None) == (body.text is None):
        raise QinglangError("give either `texts` (a list) or `text`")
    texts = body.texts if body.texts is not None else [body.text]
    hashes = body.image_hashes
    if hashes is not None and len(hashes) != len(texts):
        raise QinglangError("`image_hashes` must have one entry (a list or null) per text")
    rt = request.app.state.runtime
    try:
        sc = rt.screener
    except QinglangError as e:
        raise Conflict(f"screening is not available: {e}") from None
    results = sc.screen(texts, tier=body.tier, image_hashes=hashes)
    m = request.app.state.metrics.decisions
    out = []
    for r in results:
        m.labels("screen", r.decision).inc()
        out.append(r.as_dict(signals=body.signals))
    return {"results": out}
