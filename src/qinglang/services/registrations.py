"""Registration checks on record: every real-time check of a new or renamed account and its decision.

The reincarnation slice runs the check; this records it (never raw identity
values: only the nickname, the decision and the matched banned accounts) so the
regulator report can count registrations blocked. Call `record_check` with the
check's JSON result; it is a plain insert, not an audit-log entry (checks are
frequent and change no governance state).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qinglang.errors import QinglangError
from qinglang.services.governance import Governance, jsonable

DECISIONS = ("pass", "review", "block")


def record_check(gov: Governance, result: dict[str, Any], *, nickname: str | None = None, source: str = "cli",
                 actor: str | None = None, now: datetime | None = None) -> int:
    """Record one check from its result {decision, ban_expired, matches: [{banned_account_id, score, evidence}]}."""
    decision = result.get("decision")
    if decision not in DECISIONS:
        raise QinglangError(f"a registration check's decision must be one of {DECISIONS}, not {decision!r}")
    matches = list(result.get("matches") or [])
    top = max(matches, key=lambda m: m.get("score", 0), default=None)
    row = {"source": source, "actor": actor, "nickname": nickname, "decision": decision,
           "ban_expired": bool(result.get("ban_expired", False)),
           "banned_account_id": top.get("banned_account_id") if top else None,
           "score": float(top["score"]) if top and top.get("score") is not None else None,
           "matches": [{"banned_account_id": m.get("banned_account_id"), "score": m.get("score")} for m in matches[:20]]}

    def work(uow):
        return uow.registrations.add(at=uow.now, **row)

    return gov.store.run(work, actor=actor or "registration-check", now=gov.now(now))


def list_checks(gov: Governance, since: datetime | None = None, until: datetime | None = None,
                limit: int | None = 100) -> list[dict[str, Any]]:
    with gov.store.read() as uow:
        return [jsonable(r) for r in uow.registrations.list(since=since, until=until, limit=limit)]
