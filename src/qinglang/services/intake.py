"""From findings to cases: apply the case policy after a scan, idempotently.

Findings are grouped per (account, category). The account is the finding's
`account_id` (a post's author for content findings), every target of a
lockstep group, and, for fake followers, the account they follow: fake_account
findings do not open cases about the fake accounts themselves but are counted
per followed account (policy `fake_followers`) into a `fake_followers` piece of
evidence for that account's fake_fans case.

A group whose best score reaches its tier's threshold opens a case, or adds its
new findings to the account's unresolved case in that category. A finding is
attached once per account, ever: re-running a scan attaches nothing new, and a
finding a reviewer already decided on does not reopen anything. Resolved cases
are never touched. Cases the policy marks as certain (a score at or above the
tier's auto `min_score` and a proposed sanction no stronger than its
`max_action`) are decided at once, marked as automated; a head account is never
closed this way.

Work is committed in chunks of accounts, each one transaction with its audit
entries, so a crash (kill -9) loses at most the chunk in flight and a re-run
finishes the rest without duplicates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

from qinglang.domain.cases import CaseSource, CaseStatus, Severity, Stage
from qinglang.domain.vocab import Category
from qinglang.services.cases import auto_decide
from qinglang.services.governance import Governance, jsonable
from qinglang.services.standing import points_and_credit_many

ACTOR = "qinglang-policy"
MAX_LIST = 50  # longest list kept in a finding's evidence in the store (the findings file keeps all)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Candidate:
    account_id: str
    kind: str
    subject_id: str
    related_id: str
    category: str
    score: float
    evidence: Any

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.account_id, self.kind, self.subject_id, self.related_id, self.category)


def _trim(evidence: Any) -> Any:
    if isinstance(evidence, dict):
        out = {}
        for k, v in evidence.items():
            if isinstance(v, list) and len(v) > MAX_LIST:
                out[k] = v[:MAX_LIST]
                out[f"{k}_total"] = len(v)
            else:
                out[k] = v
        return out
    return evidence


def _parse(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text[:2000]}


def candidates(gov: Governance, findings: pa.Table, fake_followers: bool = True) -> list[Candidate]:
    """Findings (and fake-follower counts) as per-account candidates, before tier thresholds."""
    policy = gov.policy
    floor = min(min([t.open_min_score] + list(t.open_min_score_by_category.values())) for t in policy.tiers.values())
    out: list[Candidate] = []
    if findings.num_rows:
        keep = pc.greater_equal(findings["score"], floor)
        for kind in policy.kinds_no_case:
            keep = pc.and_(keep, pc.not_equal(findings["kind"], kind))
        f = findings.filter(keep)
        cols = {n: f[n].to_pylist() for n in ("kind", "subject_id", "related_id", "score", "category", "evidence", "account_id")}
        for i in range(f.num_rows):
            kind, subject, related = cols["kind"][i], cols["subject_id"][i], cols["related_id"][i] or ""
            category, score = cols["category"][i], float(cols["score"][i])
            ev = _parse(cols["evidence"][i])
            if kind == "lockstep_group":
                targets = ev.get("targets") if isinstance(ev, dict) else None
                accounts = [str(t) for t in targets] if targets else []
            elif kind == "content_violation":
                author = cols["account_id"][i] or (ev.get("author") if isinstance(ev, dict) else None)
                accounts = [author] if author else []
            else:
                accounts = [cols["account_id"][i] or subject]
            trimmed = _trim(ev)
            for a in accounts:
                out.append(Candidate(a, kind, subject, related, category, score, trimmed))
    ff = policy.fake_followers
    counts = gov.lake.fake_follower_counts(ff["min_score"], int(ff["min_count"])) if fake_followers else []
    for r in counts:
        followers = r.get("followers")
        if not followers:
            continue
        share = r["fake"] / max(followers, r["fake"])
        if share < ff["min_share"]:
            continue
        score = round(min(0.99, 0.5 + share), 6)
        out.append(Candidate(r["account_id"], "fake_followers", r["account_id"], "", Category.FAKE_FANS.value, score,
                             {"fake": int(r["fake"]), "followers": int(followers), "share": round(share, 4),
                              "min_score": ff["min_score"],
                              "signals": {"fake_follower_share": round(share, 4)}}))
    return out


def apply_findings(gov: Governance, findings: pa.Table, now: datetime | None = None, chunk: int = 500,
                   progress: Progress | None = None, fake_followers: bool | None = None) -> dict[str, int]:
    """Open or update cases from findings; fake-follower counts are taken when fake_account findings are among them."""
    t = gov.now(now)
    if fake_followers is None:
        fake_followers = findings.num_rows > 0 and bool(pc.any(pc.equal(findings["kind"], "fake_account")).as_py())
    cands = candidates(gov, findings, fake_followers)
    tiers = gov.lake.tiers({c.account_id for c in cands})
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for c in cands:
        tier = tiers.get(c.account_id, ("regular", 0))[0]
        if gov.policy.opens(c.category, tier, c.score):
            groups[(c.account_id, c.category)].append(c)
    summary = {"cases_opened": 0, "cases_updated": 0, "auto_applied": 0, "findings_attached": 0}
    keys = sorted(groups)
    for i in range(0, len(keys), chunk):
        part = keys[i:i + chunk]
        res = gov.store.run(lambda uow, part=part: _apply_chunk(uow, gov, part, groups, tiers), actor=ACTOR, now=t)
        for k, v in res.items():
            summary[k] += v
        if progress:
            progress("cases", min(i + chunk, len(keys)), len(keys))
    return summary


def _apply_chunk(uow, gov: Governance, part: list[tuple[str, str]], groups: dict[tuple[str, str], list[Candidate]],
                 tiers: dict[str, tuple[str, int]]) -> dict[str, int]:
    policy = gov.policy
    now = uow.now
    res = {"cases_opened": 0, "cases_updated": 0, "auto_applied": 0, "findings_attached": 0}
    open_cases = uow.cases.open_for(part, for_update=True)
    attached = uow.cases.attached_keys({a for a, _ in part})
    standing = points_and_credit_many(uow, gov, {a for a, _ in part if (a, _) not in open_cases}, now)
    for pair in part:
        account, category = pair
        group = groups[pair]
        seen: set = set()
        new = []
        for c in sorted(group, key=lambda c: -c.score):
            if c.key in attached or c.key in seen:
                continue
            seen.add(c.key)
            new.append(c)
        if not new:
            continue
        tier = tiers.get(account, ("regular", 0))[0]
        best = max(c.score for c in new)
        case = open_cases.get(pair)
        if case is not None:
            score = max(case.score, best)
            count = case.finding_count + len(new)
            sev = max(Severity(case.severity), policy.severity(category, score, count, case.complaint_weight),
                      key=lambda s: Severity(s).rank)
            changes = {"score": score, "finding_count": count, "severity": Severity(sev).value, "tier": tier,
                       "priority": policy.priority(sev, tier, score, case.complaint_weight), "updated_at": now}
            due = policy.due(case.opened_at, sev, tier)
            if case.due_at is None or due < case.due_at:
                changes["due_at"] = due
            uow.cases.update(case.case_id, **changes)
            _attach(uow, case.case_id, new, now)
            uow.audit("case.evidence_added", "case", case.case_id,
                      {"score": case.score, "finding_count": case.finding_count, "severity": case.severity},
                      {"score": score, "finding_count": count, "severity": Severity(sev).value,
                       "findings": [list(c.key[1:]) for c in new[:20]]},
                      f"{len(new)} new finding(s)")
            res["cases_updated"] += 1
            res["findings_attached"] += len(new)
            continue
        sev = policy.severity(category, best, len(new), 0.0)
        points, credit = standing[account]
        sug = policy.suggest(category, sev.value, tier, points, credit)
        values = dict(account_id=account, category=category, tier=tier, status=CaseStatus.OPEN.value,
                      stage=Stage.REVIEW.value, severity=sev.value, priority=policy.priority(sev, tier, best),
                      score=best, source=CaseSource.FINDINGS.value, title=_title(new), opened_by=ACTOR,
                      opened_at=now, updated_at=now, due_at=policy.due(now, sev, tier), suggested=sug.as_dict(),
                      automated=False, complaint_weight=0.0, finding_count=len(new))
        cid = uow.cases.add(**values)
        _attach(uow, cid, new, now)
        uow.audit("case.opened", "case", cid, None, jsonable(values), f"{len(new)} finding(s), best score {best:.3f}")
        res["cases_opened"] += 1
        res["findings_attached"] += len(new)
        if policy.auto_allowed(category, tier, best, sug.spec):
            case = uow.cases.get(cid)
            auto_decide(uow, gov, case, sug.spec, sug.note)
            res["auto_applied"] += 1
    # link complaints waiting for these accounts to the cases now open
    from qinglang.services.complaints import route

    route(uow, gov, part, tiers)
    return res


def _attach(uow, case_id: int, new: list[Candidate], now: datetime) -> None:
    uow.cases.add_findings([{
        "case_id": case_id, "account_id": c.account_id, "kind": c.kind, "subject_id": c.subject_id,
        "related_id": c.related_id, "category": c.category, "score": c.score, "evidence": c.evidence,
        "first_seen": now, "last_seen": now,
    } for c in new])


def _title(new: list[Candidate]) -> str:
    kinds = sorted({c.kind for c in new})
    return f"{len(new)} finding(s): {', '.join(kinds)}"
