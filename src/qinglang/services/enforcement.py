"""Enforcement: applying sanctions (with strike, notice and outbox event), audience clean-up, reversal, expiry, bans.

`apply_sanction`, `cleanup_audience` and `reverse_sanction` work inside a
caller's unit of work (a case decision, an appeal), so a sanction and
everything it causes commit together with the decision and its audit entries.
`expire_sanctions` is the timed job that ends limits and suspensions whose
period is over; `bans_table` feeds qinglang's own sanctions to the
reincarnation registry.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from qinglang.domain.sanctions import Action, SanctionSpec, SanctionStatus, make_strike
from qinglang.errors import NotFound
from qinglang.services import notices as N
from qinglang.services.governance import Governance, jsonable

CLEANUP_CHUNK = 10_000  # followers per audience.cleanup event


def evidence_summary(findings: list[dict[str, Any]], complaints: int = 0, extra: str | None = None) -> tuple[str, str]:
    """A short bilingual summary of a case's evidence for notices and reports."""
    kinds = Counter(f["kind"] for f in findings)
    top = max((f["score"] for f in findings), default=None)
    zh_parts, en_parts = [], []
    names = {
        "fake_account": ("虚假账号", "fake account"), "follower_burst": ("异常涨粉时段", "follower purchase burst"),
        "lockstep_group": ("同步操控账号群", "lockstep account group"), "engagement_fraud": ("刷量互动", "bought engagement"),
        "reincarnation": ("与已关闭账号高度关联", "link to a closed account"), "watchlist_match": ("外部通报名单匹配", "watch-list match"),
        "content_violation": ("违规内容", "violating post"), "fake_followers": ("虚假粉丝", "fake followers"),
    }
    for k, n in sorted(kinds.items()):
        zh, en = names.get(k, (k, k))
        zh_parts.append(f"{zh}{n}项")
        en_parts.append(f"{n} {en}{'s' if n > 1 else ''}")
    for f in findings:
        if f["kind"] == "fake_followers" and isinstance(f.get("evidence"), dict):
            ev = f["evidence"]
            zh_parts.append(f"虚假粉丝约{ev.get('fake', '?')}个，占粉丝{round(100 * float(ev.get('share', 0)))}%")
            en_parts.append(f"about {ev.get('fake', '?')} fake followers, {round(100 * float(ev.get('share', 0)))}% of the audience")
    if complaints:
        zh_parts.append(f"网民举报{complaints}件")
        en_parts.append(f"{complaints} netizen report{'s' if complaints > 1 else ''}")
    if top is not None:
        zh_parts.append(f"最高置信度{top:.2f}")
        en_parts.append(f"highest confidence {top:.2f}")
    if extra:
        zh_parts.append(extra)
        en_parts.append(extra)
    return ("；".join(zh_parts) or "人工审核认定", "; ".join(en_parts) or "found on human review")


def _sanction_json(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("sanction_id", "case_id", "account_id", "category", "tier", "action", "spec", "status", "decided_at",
            "ends_at", "ban_until", "permanent_ban", "strike_points", "strike_expires_at", "decided_by",
            "second_reviewer", "automated", "appeal_deadline")
    return jsonable({k: row.get(k) for k in keep})


def apply_sanction(uow, gov: Governance, *, account_id: str, category: str, tier: str, spec: SanctionSpec,
                   decided_by: str, reason: str, case_id: int | None = None, second_reviewer: str | None = None,
                   automated: bool = False, evidence: tuple[str, str] = ("", ""), cleanup_count: int = 0) -> int:
    """Record a sanction with its strike, send its notice, queue its outbox event; returns the sanction id."""
    spec = spec.validate()
    now = uow.now
    rule = gov.policy.category(category)
    strike = make_strike(gov.policy.ladder, rule, spec, now)
    row = {
        "case_id": case_id, "account_id": account_id, "category": category, "tier": tier,
        "action": spec.action.value, "spec": spec.as_dict(), "status": SanctionStatus.ACTIVE.value,
        "decided_at": now, "ends_at": spec.ends_at(now), "ban_until": spec.ban_until(now),
        "permanent_ban": bool(spec.has_ban and spec.ban_days == 0),
        "strike_points": strike.points, "strike_expires_at": strike.expires_at,
        "decided_by": decided_by, "second_reviewer": second_reviewer, "automated": automated,
        "reason": reason, "evidence_summary": evidence[1] or None,
        "appeal_deadline": now + timedelta(days=gov.policy.appeals["window_days"]),
    }
    sid = uow.sanctions.add(**row)
    row["sanction_id"] = sid
    ctx = dict(
        N.category_labels(category), account_id=account_id, name=gov.lake.nickname(account_id) or account_id,
        sanction_id=sid, action_label=N.ACTION_LABELS_ZH[spec.action], action_label_en=N.ACTION_LABELS_EN[spec.action],
        sanction_zh=spec.describe("zh"), sanction_en=spec.describe("en"), ends_at=N.beijing(row["ends_at"]),
        ban=spec.has_ban, ban_zh=_ban_text(spec, row["ban_until"], "zh"), ban_en=_ban_text(spec, row["ban_until"], "en"),
        cleanup=cleanup_count, appeal_deadline=N.beijing(row["appeal_deadline"]),
        evidence_zh=evidence[0] or "人工审核认定", evidence_en=evidence[1] or "found on human review",
    )
    notice = N.render("sanction", **ctx)
    uow.sanctions.add_notice(account_id=account_id, kind="sanction", sanction_id=sid, case_id=case_id, created_at=now,
                             subject_zh=notice.subject_zh, body_zh=notice.body_zh,
                             subject_en=notice.subject_en, body_en=notice.body_en)
    payload = _sanction_json(row)
    payload["contract_action"] = spec.action.contract
    payload["features"] = list(spec.features)
    payload["notice"] = notice.as_dict()
    uow.outbox.add(f"sanction:{sid}:applied", "sanction.applied", payload, now)
    uow.audit("sanction.applied", "sanction", sid, None, _sanction_json(row), reason, automated=automated,
              actor=decided_by if not automated else None)
    return sid


def _ban_text(spec: SanctionSpec, until: datetime | None, lang: str) -> str:
    if not spec.has_ban:
        return ""
    if spec.ban_days == 0:
        return "永久禁止以任何方式重新注册" if lang == "zh" else "permanently banned from registering again"
    if lang == "zh":
        return f"{N.beijing(until)}（北京时间）前禁止以任何方式重新注册"
    return f"banned from registering again until {N.beijing(until)} (Beijing time)"


def cleanup_audience(uow, *, account_id: str, followers: list[str], followers_before: int | None, by: str,
                     case_id: int | None, sanction_id: int | None, automated: bool = False) -> int | None:
    """Remove the fake followers found from the account's audience: outbox events listing them, count recorded."""
    if not followers:
        return None
    now = uow.now
    cid = uow.sanctions.add_cleanup(case_id=case_id, sanction_id=sanction_id, account_id=account_id, at=now,
                                    followers_removed=len(followers), followers_before=followers_before, by=by)
    parts = max(1, -(-len(followers) // CLEANUP_CHUNK))
    corrected = max(0, followers_before - len(followers)) if followers_before is not None else None
    for i in range(parts):
        chunk = followers[i * CLEANUP_CHUNK:(i + 1) * CLEANUP_CHUNK]
        uow.outbox.add(f"cleanup:{cid}:part:{i + 1}", "audience.cleanup", {
            "cleanup_id": cid, "account_id": account_id, "case_id": case_id, "sanction_id": sanction_id,
            "part": i + 1, "parts": parts, "remove_followers": chunk, "followers_removed_total": len(followers),
            "displayed_followers_count": corrected,
        }, now)
    uow.audit("audience.cleanup", "account", account_id, None,
              {"cleanup_id": cid, "followers_removed": len(followers), "followers_before": followers_before,
               "displayed_followers_count": corrected, "case_id": case_id, "sanction_id": sanction_id},
              "fake followers removed from the audience", automated=automated)
    return cid


def reverse_sanction(uow, gov: Governance, sanction_id: int, *, by: str, reason: str, appeal_id: int | None = None) -> dict[str, Any]:
    """Undo a sanction and all its effects (limits, suspension, closure, ban, strike, clean-up)."""
    s = uow.sanctions.get(sanction_id, for_update=True)
    if s is None:
        raise NotFound(f"no sanction {sanction_id}")
    now = uow.now
    before = _sanction_json(s)
    uow.sanctions.update(sanction_id, status=SanctionStatus.REVERSED.value, reversed_at=now, reversed_by=by,
                         reversal_reason=reason)
    after = dict(before, status=SanctionStatus.REVERSED.value)
    effects_zh, effects_en = ["处置已解除", "违规记分已撤销"], ["the sanction is lifted", "its strike is removed"]
    if s["action"] == Action.CLOSE.value:
        effects_zh.append("账号已恢复")
        effects_en.append("the account is restored")
        if s["ban_until"] is not None or s["permanent_ban"]:
            effects_zh.append("重新注册限制已解除")
            effects_en.append("the re-registration ban is lifted")
    restored = 0
    for c in uow.sanctions.cleanups(sanction_id=sanction_id):
        if c["reversed_at"] is None:
            uow.sanctions.update_cleanup(c["cleanup_id"], reversed_at=now)
            restored += c["followers_removed"]
            uow.outbox.add(f"cleanup:{c['cleanup_id']}:reversed", "audience.cleanup_reversed", {
                "cleanup_id": c["cleanup_id"], "account_id": s["account_id"], "sanction_id": sanction_id,
                "restore_from_events": f"cleanup:{c['cleanup_id']}:part:*", "followers_restored_total": c["followers_removed"],
                "displayed_followers_count": c["followers_before"],
            }, now)
    if restored:
        effects_zh.append(f"被清理的{restored}个粉丝已恢复")
        effects_en.append(f"the {restored} removed followers are restored")
    spec = SanctionSpec.from_dict(s["spec"])
    notice = N.render("reversal", account_id=s["account_id"], name=gov.lake.nickname(s["account_id"]) or s["account_id"],
                      sanction_id=sanction_id, sanction_zh=spec.describe("zh"), sanction_en=spec.describe("en"),
                      effects_zh="、".join(effects_zh), effects_en=", ".join(effects_en), reason=reason)
    uow.sanctions.add_notice(account_id=s["account_id"], kind="reversal", sanction_id=sanction_id, case_id=s["case_id"],
                             created_at=now, subject_zh=notice.subject_zh, body_zh=notice.body_zh,
                             subject_en=notice.subject_en, body_en=notice.body_en)
    uow.outbox.add(f"sanction:{sanction_id}:reversed", "sanction.reversed", {
        "sanction_id": sanction_id, "account_id": s["account_id"], "action": s["action"],
        "contract_action": Action(s["action"]).contract, "appeal_id": appeal_id, "reason": reason,
        "lift": {"features": list(spec.features), "suspension": s["action"] == Action.SUSPEND.value,
                 "restore_account": s["action"] == Action.CLOSE.value,
                 "lift_ban": s["ban_until"] is not None or bool(s["permanent_ban"])},
        "followers_restored": restored, "notice": notice.as_dict(),
    }, now)
    uow.audit("sanction.reversed", "sanction", sanction_id, before, after, reason, actor=by)
    return {"sanction_id": sanction_id, "effects": effects_en, "followers_restored": restored}


def expire_sanctions(gov: Governance, actor: str = "qinglang-scheduler", now: datetime | None = None,
                     batch: int = 500) -> dict[str, Any]:
    """End limits and suspensions whose period is over (a timed job: run it from cron or a scheduler)."""
    t = gov.now(now)
    ended: list[int] = []

    def work(uow):
        rows = uow.sanctions.due_to_end(uow.now, batch)
        for s in rows:
            uow.sanctions.update(s["sanction_id"], status=SanctionStatus.EXPIRED.value, ended_at=uow.now)
            uow.outbox.add(f"sanction:{s['sanction_id']}:ended", "sanction.ended", {
                "sanction_id": s["sanction_id"], "account_id": s["account_id"], "action": s["action"],
                "contract_action": Action(s["action"]).contract, "ended_at": jsonable(s["ends_at"]),
            }, uow.now)
            uow.audit("sanction.ended", "sanction", s["sanction_id"], {"status": "active"}, {"status": "expired"},
                      f"its period ended at {s['ends_at'].isoformat()}", automated=True)
        return [s["sanction_id"] for s in rows]

    while True:
        done = gov.store.run(work, actor=actor, now=t)
        ended += done
        if len(done) < batch:
            break
    return {"ended": len(ended), "sanction_ids": ended}


BANS_SCHEMA = pa.schema([
    pa.field("account_id", pa.string()), pa.field("action", pa.string()), pa.field("category", pa.string()),
    pa.field("decided_at", pa.timestamp("us", tz="UTC")), pa.field("until", pa.timestamp("us", tz="UTC")),
])


def bans_table(gov: Governance) -> pa.Table:
    """qinglang's own sanctions in the contract's enforcements shape, for the reincarnation registry.

    Reversed sanctions are left out. `action` is the contract's enum (a limit is `restrict`). `until` is
    the end of a limit or suspension, or of a closure's re-registration ban; empty for a permanent ban;
    a closure without a ban has `until` = its decision time (the ban ended at once).
    """
    with gov.store.read() as uow:
        rows = uow.sanctions.bans()
    out = {"account_id": [], "action": [], "category": [], "decided_at": [], "until": []}
    for r in rows:
        out["account_id"].append(r["account_id"])
        out["action"].append(Action(r["action"]).contract)
        out["category"].append(r["category"])
        out["decided_at"].append(r["decided_at"])
        if r["action"] == Action.CLOSE.value:
            until = None if r["permanent_ban"] else (r["ban_until"] or r["decided_at"])
        else:
            until = r["ends_at"]
        out["until"].append(until)
    return pa.table(out, schema=BANS_SCHEMA)


def list_sanctions(gov: Governance, account_id: str | None = None, status: str | None = None,
                   limit: int | None = 100) -> list[dict[str, Any]]:
    with gov.store.read() as uow:
        return [jsonable(r) for r in uow.sanctions.list(account_id=account_id, status=status, limit=limit)]


def show_sanction(gov: Governance, sanction_id: int) -> dict[str, Any]:
    with gov.store.read() as uow:
        s = uow.sanctions.get(sanction_id)
        if s is None:
            raise NotFound(f"no sanction {sanction_id}")
        out = jsonable(s)
        out["notices"] = jsonable(uow.sanctions.notices(sanction_id=sanction_id))
        out["cleanups"] = jsonable(uow.sanctions.cleanups(sanction_id=sanction_id))
        out["appeal"] = jsonable(uow.appeals.for_sanction(sanction_id))
    return out
