"""Guidance before punishment: guidance, interviews (约谈), corrections ordered with a deadline, recognition.

Each is a record on the account (it moves the credit score, see domain/standing.py),
a notice to the account in Chinese and English, an outbox event, and an audit entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services import notices as N
from qinglang.services.governance import Governance, jsonable


class GuidanceKind(StrEnum):
    GUIDANCE = "guidance"  # 提醒指导
    INTERVIEW = "interview"  # 约谈
    CORRECTION = "correction"  # 限期整改 (a warning with required corrections)
    RECOGNITION = "recognition"  # 正面激励，如示范账号标识


LABELS = {
    GuidanceKind.GUIDANCE: ("提醒指导", "Guidance", "平台对您的账号运营提出以下提醒与指导：", "The platform offers the following guidance on how your account is run:"),
    GuidanceKind.INTERVIEW: ("约谈记录", "Interview record", "平台已就账号运营中存在的问题与您进行约谈，约谈记录如下：", "The platform held an interview with you about problems in how your account is run. Record:"),
    GuidanceKind.CORRECTION: ("限期整改通知", "Correction order", "您的账号存在需整改的问题，请按要求限期整改：", "Your account has problems you must correct by the deadline:"),
    GuidanceKind.RECOGNITION: ("正面激励", "Recognition", "感谢您积极传播正能量，平台给予以下激励：", "Thank you for a positive contribution to the platform. You receive this recognition:"),
}


def _kind(kind: str) -> GuidanceKind:
    try:
        return GuidanceKind(kind)
    except ValueError:
        raise QinglangError(f"--kind must be one of {', '.join(k.value for k in GuidanceKind)}, not {kind!r}") from None


def record_guidance(uow, gov: Governance, *, account_id: str, kind: str, text: str, by: str,
                    corrections: str | None = None, due_days: int | None = None, case_id: int | None = None,
                    title: str | None = None) -> int:
    """Record one guidance action inside a unit of work; returns its id."""
    k = _kind(kind)
    text = (text or "").strip()
    if not text:
        raise QinglangError("a guidance record needs its text (--text): what was said, asked or recognised")
    if k is GuidanceKind.CORRECTION and not (corrections or "").strip():
        raise QinglangError("a correction order needs the corrections required (--corrections)")
    now = uow.now
    due = now + timedelta(days=due_days or 15) if k is GuidanceKind.CORRECTION else None
    row = {"account_id": account_id, "kind": k.value, "text": text, "corrections": corrections, "due_at": due,
           "status": "open" if k is GuidanceKind.CORRECTION else "done", "case_id": case_id,
           "created_at": now, "created_by": by}
    gid = uow.guidance.add(**row)
    zh, en, intro_zh, intro_en = LABELS[k]
    notice = N.render("guidance", account_id=account_id, name=gov.lake.nickname(account_id) or account_id,
                      kind_zh=zh, kind_en=en, title_zh=title or zh, title_en=title or en, intro_zh=intro_zh,
                      intro_en=intro_en, text=text, corrections=corrections, due_at=N.beijing(due))
    uow.sanctions.add_notice(account_id=account_id, kind=f"guidance.{k.value}", sanction_id=None, case_id=case_id,
                             created_at=now, subject_zh=notice.subject_zh, body_zh=notice.body_zh,
                             subject_en=notice.subject_en, body_en=notice.body_en)
    payload = {"guidance_id": gid, "account_id": account_id, "kind": k.value, "case_id": case_id,
               "due_at": jsonable(due), "notice": notice.as_dict()}
    if k is GuidanceKind.RECOGNITION:
        payload["badge"] = {"model_account": True}
    uow.outbox.add(f"guidance:{gid}:recorded", f"guidance.{k.value}", payload, now)
    uow.audit(f"guidance.{k.value}", "guidance", gid, None, jsonable(row), text)
    return gid


def add_guidance(gov: Governance, *, account_id: str, kind: str, text: str, by: str, corrections: str | None = None,
                 due_days: int | None = None, case_id: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    gid = gov.store.run(lambda uow: record_guidance(uow, gov, account_id=account_id, kind=kind, text=text, by=by,
                                                    corrections=corrections, due_days=due_days, case_id=case_id),
                        actor=by, now=gov.now(now))
    return show_guidance(gov, gid)


def complete_guidance(gov: Governance, guidance_id: int, by: str, note: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """Mark a correction order done (the corrections were made)."""
    def work(uow):
        g = uow.guidance.get(guidance_id, for_update=True)
        if g is None:
            raise NotFound(f"no guidance record {guidance_id}")
        if g["kind"] != GuidanceKind.CORRECTION.value:
            raise Conflict(f"guidance {guidance_id} is a {g['kind']}; only correction orders are completed")
        if g["status"] != "open":
            raise Conflict(f"guidance {guidance_id} is already {g['status']}")
        uow.guidance.update(guidance_id, status="done", completed_at=uow.now, completed_by=by)
        uow.audit("guidance.completed", "guidance", guidance_id, {"status": "open"}, {"status": "done"},
                  note or "corrections completed")

    gov.store.run(work, actor=by, now=gov.now(now))
    return show_guidance(gov, guidance_id)


def revoke_guidance(gov: Governance, guidance_id: int, by: str, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """Withdraw a record (e.g. a recognition the account no longer deserves); it stops counting."""
    if not (reason or "").strip():
        raise QinglangError("revoking needs a reason (--reason)")

    def work(uow):
        g = uow.guidance.get(guidance_id, for_update=True)
        if g is None:
            raise NotFound(f"no guidance record {guidance_id}")
        if g["revoked_at"] is not None:
            raise Conflict(f"guidance {guidance_id} is already revoked")
        uow.guidance.update(guidance_id, status="revoked", revoked_at=uow.now)
        if g["kind"] == GuidanceKind.RECOGNITION.value:
            uow.outbox.add(f"guidance:{guidance_id}:revoked", "guidance.recognition_revoked",
                           {"guidance_id": guidance_id, "account_id": g["account_id"], "badge": {"model_account": False}}, uow.now)
        uow.audit("guidance.revoked", "guidance", guidance_id, {"status": g["status"]}, {"status": "revoked"}, reason)

    gov.store.run(work, actor=by, now=gov.now(now))
    return show_guidance(gov, guidance_id)


def show_guidance(gov: Governance, guidance_id: int) -> dict[str, Any]:
    with gov.store.read() as uow:
        g = uow.guidance.get(guidance_id)
    if g is None:
        raise NotFound(f"no guidance record {guidance_id}")
    return jsonable(g)


def list_guidance(gov: Governance, account_id: str | None = None, kind: str | None = None, status: str | None = None,
                  limit: int | None = 100) -> list[dict[str, Any]]:
    if kind is not None:
        _kind(kind)
    with gov.store.read() as uow:
        return [jsonable(g) for g in uow.guidance.list(account_id=account_id, kind=kind, status=status, limit=limit)]
