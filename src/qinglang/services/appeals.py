"""Appeals: one per sanction, filed within the window, decided by a reviewer who took no part in the sanction.

Upholding keeps the sanction; overturning reverses it and all its effects
(services/enforcement.reverse_sanction): limits, suspension, closure, ban,
strike and audience clean-up, with a notice to the account and outbox events
for the platform. Everything is in the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from qinglang.domain.cases import AUTOMATION_ACTOR, require_reason
from qinglang.domain.sanctions import SanctionSpec, SanctionStatus
from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services import notices as N
from qinglang.services.enforcement import reverse_sanction
from qinglang.services.governance import Governance, jsonable


class AppealOutcome(StrEnum):
    UPHELD = "upheld"  # the sanction stands
    OVERTURNED = "overturned"  # the sanction is reversed


def _eligible(sanction: dict[str, Any], reviewer: str) -> None:
    involved = {sanction["decided_by"], sanction.get("second_reviewer")} - {None, AUTOMATION_ACTOR}
    if reviewer in involved:
        raise Conflict(
            f"{reviewer} took part in sanction {sanction['sanction_id']}; the appeal must be judged by another reviewer"
        )


def file_appeal(gov: Governance, sanction_id: int, *, text: str, filed_by: str, now: datetime | None = None) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        raise QinglangError("an appeal needs the account's statement (--text)")

    def work(uow) -> int:
        s = uow.sanctions.get(sanction_id, for_update=True)
        if s is None:
            raise NotFound(f"no sanction {sanction_id}")
        existing = uow.appeals.for_sanction(sanction_id)
        if existing is not None:
            raise Conflict(f"sanction {sanction_id} already has appeal {existing['appeal_id']} ({existing['status']}); "
                           f"a sanction can be appealed once")
        if s["status"] == SanctionStatus.REVERSED.value:
            raise Conflict(f"sanction {sanction_id} is already reversed; nothing to appeal")
        if s["appeal_deadline"] is not None and uow.now > s["appeal_deadline"]:
            raise Conflict(f"the appeal window of sanction {sanction_id} closed at {s['appeal_deadline'].isoformat()}")
        row = {"sanction_id": sanction_id, "account_id": s["account_id"], "filed_at": uow.now, "filed_by": filed_by,
               "text": text, "status": "pending", "due_at": uow.now + timedelta(days=gov.policy.appeals["decide_days"])}
        aid = uow.appeals.add(**row)
        uow.outbox.add(f"appeal:{aid}:received", "appeal.received",
                       {"appeal_id": aid, "sanction_id": sanction_id, "account_id": s["account_id"],
                        "due_at": jsonable(row["due_at"])}, uow.now)
        uow.audit("appeal.filed", "appeal", aid, None, jsonable(row), text)
        return aid

    aid = gov.store.run(work, actor=filed_by, now=gov.now(now))
    return show_appeal(gov, aid)


def claim_appeal(gov: Governance, *, reviewer: str, appeal_id: int | None = None, now: datetime | None = None) -> dict[str, Any] | None:
    def work(uow) -> int | None:
        if appeal_id is None:
            a = uow.appeals.next_claimable(reviewer, uow.now)
            if a is None:
                return None
        else:
            a = uow.appeals.get(appeal_id, for_update=True)
            if a is None:
                raise NotFound(f"no appeal {appeal_id}")
            if a["status"] == "decided":
                raise Conflict(f"appeal {appeal_id} is already decided ({a['outcome']})")
            if a["status"] == "claimed" and a["claimed_by"] != reviewer:
                raise Conflict(f"appeal {appeal_id} is claimed by {a['claimed_by']}")
            _eligible(uow.sanctions.get(a["sanction_id"]), reviewer)
        uow.appeals.update(a["appeal_id"], status="claimed", claimed_by=reviewer, claimed_at=uow.now)
        uow.audit("appeal.claimed", "appeal", a["appeal_id"], {"status": a["status"]},
                  {"status": "claimed", "claimed_by": reviewer})
        return a["appeal_id"]

    aid = gov.store.run(work, actor=reviewer, now=gov.now(now))
    return None if aid is None else show_appeal(gov, aid)


def decide_appeal(gov: Governance, appeal_id: int, *, reviewer: str, outcome: str, reason: str,
                  now: datetime | None = None) -> dict[str, Any]:
    try:
        result = AppealOutcome(outcome)
    except ValueError:
        raise QinglangError("--outcome must be upheld (the sanction stands) or overturned (it is reversed)") from None
    reason = require_reason(reason, "an appeal decision")

    def work(uow) -> dict[str, Any]:
        a = uow.appeals.get(appeal_id, for_update=True)
        if a is None:
            raise NotFound(f"no appeal {appeal_id}")
        if a["status"] == "decided":
            raise Conflict(f"appeal {appeal_id} is already decided ({a['outcome']})")
        if a["status"] == "claimed" and a["claimed_by"] != reviewer:
            raise Conflict(f"appeal {appeal_id} is claimed by {a['claimed_by']}, not {reviewer}")
        s = uow.sanctions.get(a["sanction_id"], for_update=True)
        _eligible(s, reviewer)
        uow.appeals.update(appeal_id, status="decided", outcome=result.value, decided_by=reviewer, decided_at=uow.now,
                           reason=reason, claimed_by=a["claimed_by"] or reviewer)
        effects: dict[str, Any] = {}
        if result is AppealOutcome.OVERTURNED:
            effects = reverse_sanction(uow, gov, a["sanction_id"], by=reviewer, reason=reason, appeal_id=appeal_id)
            if s["case_id"] is not None:
                case = uow.cases.get(s["case_id"], for_update=True)
                decision = dict(case.decision or {}, overturned_by_appeal=appeal_id)
                uow.cases.update(case.case_id, decision=decision, updated_at=uow.now)
                uow.audit("case.overturned_on_appeal", "case", case.case_id, {"decision": case.decision},
                          {"decision": decision}, reason)
        else:
            spec = SanctionSpec.from_dict(s["spec"])
            notice = N.render("appeal_upheld", account_id=s["account_id"], name=gov.lake.nickname(s["account_id"]) or s["account_id"],
                              sanction_id=s["sanction_id"], sanction_zh=spec.describe("zh"),
                              sanction_en=spec.describe("en"), reason=reason)
            uow.sanctions.add_notice(account_id=s["account_id"], kind="appeal_upheld", sanction_id=s["sanction_id"],
                                     case_id=s["case_id"], created_at=uow.now, subject_zh=notice.subject_zh,
                                     body_zh=notice.body_zh, subject_en=notice.subject_en, body_en=notice.body_en)
            effects = {"notice": notice.as_dict()}
        uow.outbox.add(f"appeal:{appeal_id}:decided", "appeal.decided",
                       {"appeal_id": appeal_id, "sanction_id": a["sanction_id"], "account_id": a["account_id"],
                        "outcome": result.value, "reason": reason}, uow.now)
        uow.audit("appeal.decided", "appeal", appeal_id, {"status": a["status"]},
                  {"status": "decided", "outcome": result.value, "decided_by": reviewer}, reason)
        return effects

    effects = gov.store.run(work, actor=reviewer, now=gov.now(now))
    out = show_appeal(gov, appeal_id)
    out["effects"] = jsonable(effects)
    return out


def show_appeal(gov: Governance, appeal_id: int) -> dict[str, Any]:
    with gov.store.read() as uow:
        a = uow.appeals.get(appeal_id)
        if a is None:
            raise NotFound(f"no appeal {appeal_id}")
        out = jsonable(a)
        s = uow.sanctions.get(a["sanction_id"])
        out["sanction"] = jsonable({k: s[k] for k in ("sanction_id", "case_id", "category", "action", "spec", "status",
                                                       "decided_by", "second_reviewer", "decided_at", "reason")})
    return out


def list_appeals(gov: Governance, status: str | None = None, account_id: str | None = None,
                 limit: int | None = 100) -> list[dict[str, Any]]:
    with gov.store.read() as uow:
        return [jsonable(a) for a in uow.appeals.list(status=status, account_id=account_id, limit=limit)]
