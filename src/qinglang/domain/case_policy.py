"""Case policy: what findings and complaints open a case, how severe and urgent it is, what to propose.

The policy is data (domain/case_policy.yaml, overridable per workspace); this
module validates it and answers the questions the case services ask. Two rules
hold whatever the file says: a head account is never closed automatically,
and closing a head account always needs a second reviewer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml

from qinglang.domain.cases import Severity
from qinglang.domain.sanctions import Action, CategoryRule, Feature, Ladder, SanctionSpec, propose
from qinglang.domain.standing import CreditRules
from qinglang.domain.vocab import Category, Tier
from qinglang.errors import QinglangError

DEFAULT_POLICY_RESOURCE = "case_policy.yaml"

_SEVERITIES = [s.value for s in Severity]
_ACTIONS = [a.value for a in Action]


def default_policy_dict() -> dict[str, Any]:
    text = resources.files("qinglang.domain").joinpath(DEFAULT_POLICY_RESOURCE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` onto `base` (mappings merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass(frozen=True)
class AutoRule:
    min_score: float
    max_action: Action


@dataclass(frozen=True)
class TierRule:
    name: str
    open_min_score: float
    open_min_score_by_category: dict[str, float]
    priority: int
    second_review: tuple[str, ...]
    auto: dict[str, AutoRule]

    def open_threshold(self, category: str) -> float:
        return self.open_min_score_by_category.get(category, self.open_min_score)


@dataclass(frozen=True)
class Suggestion:
    """What the policy proposes for a case: guidance first, or a sanction from the ladder."""

    kind: str  # guidance | sanction
    spec: SanctionSpec | None
    active_points: int
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sanction": self.spec.as_dict() if self.spec else None,
                "active_points": self.active_points, "note": self.note}


@dataclass(frozen=True)
class CasePolicy:
    raw: dict[str, Any]
    source: str
    lease_minutes: float
    sla_hours: dict[str, float]
    sla_head_factor: float
    bump_score: float
    bump_findings: int
    bump_complaints: float
    ladder: Ladder
    categories: dict[str, CategoryRule]
    tiers: dict[str, TierRule]
    kinds_no_case: frozenset[str]
    fake_followers: dict[str, float]
    complaints: dict[str, float]
    appeals: dict[str, int]
    guidance_first: dict[str, Any]
    credit: CreditRules = field(default_factory=CreditRules)

    # --- questions the services ask ------------------------------------
    def category(self, name: str) -> CategoryRule:
        return self.categories[name]

    def tier(self, name: str | None) -> TierRule:
        return self.tiers[name or Tier.REGULAR.value]

    def kind_opens_case(self, kind: str) -> bool:
        return kind not in self.kinds_no_case

    def opens(self, category: str, tier: str | None, score: float) -> bool:
        return score >= self.tier(tier).open_threshold(category)

    def severity(self, category: str, max_score: float, n_findings: int = 1, complaint_weight: float = 0.0) -> Severity:
        sev = Severity(self.categories[category].severity)
        bumps = int(max_score >= self.bump_score) + int(n_findings >= self.bump_findings) + int(complaint_weight >= self.bump_complaints)
        return sev.bumped(bumps)

    def priority(self, severity: str, tier: str | None, score: float = 0.0, complaint_weight: float = 0.0) -> int:
        per = float(self.complaints.get("priority_per_weight", 10))
        return int(Severity(severity).rank * 1000 + self.tier(tier).priority + round(score * 100)
                   + min(200, round(per * complaint_weight)))

    def due(self, opened_at: datetime, severity: str, tier: str | None) -> datetime:
        hours = float(self.sla_hours[Severity(severity).value])
        if tier == Tier.HEAD.value:
            hours *= self.sla_head_factor
        return opened_at + timedelta(hours=hours)

    def lease(self) -> timedelta:
        return timedelta(minutes=self.lease_minutes)

    def suggest(self, category: str, severity: str, tier: str | None, active_points: int, credit: float) -> Suggestion:
        g = self.guidance_first
        if (
            (tier or "regular") in g.get("tiers", [])
            and Severity(severity).rank <= Severity(g.get("max_severity", "low")).rank
            and active_points <= int(g.get("max_active_points", 0))
            and credit >= float(g.get("min_credit", 100))
        ):
            return Suggestion("guidance", None, active_points,
                              "good standing: guidance interview (约谈) before a first sanction")
        spec = propose(self.ladder, self.categories[category], Severity(severity).value, active_points)
        note = f"ladder step {spec.step} for a {severity} {category} case"
        if active_points:
            note += f", escalated by {active_points} active strike point(s)"
        return Suggestion("sanction", spec, active_points, note)

    def auto_allowed(self, category: str, tier: str | None, score: float, spec: SanctionSpec | None) -> bool:
        """Whether a case may be decided by automation: a certain score, a mild enough action, never a head closure."""
        if spec is None:
            return False
        if tier == Tier.HEAD.value and spec.action is Action.CLOSE:
            return False
        rule = self.tier(tier).auto.get(category)
        return rule is not None and score >= rule.min_score and spec.action.rank <= rule.max_action.rank

    def needs_second_review(self, tier: str | None, spec: SanctionSpec | None) -> bool:
        if spec is None:
            return False
        if tier == Tier.HEAD.value and spec.action is Action.CLOSE:
            return True
        return spec.action.value in self.tier(tier).second_review

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)


# --- parsing and validation ---------------------------------------------
class _V:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, msg: str) -> QinglangError:
        return QinglangError(f"{self.source}: {path}: {msg}")

    def mapping(self, d: Any, path: str) -> dict:
        if not isinstance(d, dict):
            raise self.fail(path, "must be a mapping")
        return d

    def number(self, d: dict, key: str, path: str, lo: float | None = None, hi: float | None = None) -> float:
        if key not in d:
            raise self.fail(f"{path}.{key}", "is missing")
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"{path}.{key}", f"must be a number, not {v!r}")
        if lo is not None and v < lo or hi is not None and v > hi:
            raise self.fail(f"{path}.{key}", f"must lie in [{lo}, {hi}], not {v}")
        return float(v)

    def keys(self, d: dict, allowed: set[str], path: str) -> None:
        unknown = set(d) - allowed
        if unknown:
            raise self.fail(path, f"unknown keys {sorted(unknown)}; known: {sorted(allowed)}")


def parse_policy(raw: dict[str, Any], source: str = "case policy") -> CasePolicy:
    v = _V(source)
    v.mapping(raw, "(top)")
    v.keys(raw, {"version", "lease_minutes", "sla_hours", "sla_head_factor", "severity", "ladder", "categories",
                 "tiers", "kinds", "fake_followers", "complaints", "appeals", "guidance_first", "credit"}, "(top)")
    lease = v.number(raw, "lease_minutes", "", 0.05)
    sla = v.mapping(raw.get("sla_hours"), "sla_hours")
    for s in _SEVERITIES:
        v.number(sla, s, "sla_hours", 0.01)
    v.keys(sla, set(_SEVERITIES), "sla_hours")
    sev = v.mapping(raw.get("severity"), "severity")

    lad = v.mapping(raw.get("ladder"), "ladder")
    steps = lad.get("steps")
    if not isinstance(steps, list) or not steps:
        raise v.fail("ladder.steps", "must be a non-empty list")
    for i, s in enumerate(steps, 1):
        p = f"ladder.steps[{i}]"
        v.mapping(s, p)
        v.keys(s, {"action", "days", "ban"}, p)
        if s.get("action") not in _ACTIONS:
            raise v.fail(f"{p}.action", f"must be one of {_ACTIONS}, not {s.get('action')!r}")
        if s["action"] in ("limit", "suspend"):
            v.number(s, "days", p, 1)
        elif "days" in s:
            raise v.fail(f"{p}.days", f"only limit and suspend steps have days, not {s['action']}")
        if s.get("ban") and s["action"] != "close":
            raise v.fail(f"{p}.ban", "only a close step carries a re-registration ban")
    ranks = [Action(s["action"]).rank for s in steps]
    if ranks != sorted(ranks):
        raise v.fail("ladder.steps", "must not get milder going up (warning, limit, suspend, close)")
    points = v.mapping(lad.get("points"), "ladder.points")
    for a in _ACTIONS:
        v.number(points, a, "ladder.points", 0)
    esc = lad.get("escalation") or []
    if not isinstance(esc, list):
        raise v.fail("ladder.escalation", "must be a list")
    esc_pairs = []
    for i, e in enumerate(esc, 1):
        v.mapping(e, f"ladder.escalation[{i}]")
        esc_pairs.append((int(v.number(e, "min_points", f"ladder.escalation[{i}]", 1)),
                          int(v.number(e, "add_steps", f"ladder.escalation[{i}]", 0))))
    if [p for p, _ in esc_pairs] != sorted(p for p, _ in esc_pairs):
        raise v.fail("ladder.escalation", "must be in ascending min_points")
    ladder = Ladder(steps=tuple(dict(s) for s in steps), points={k: int(x) for k, x in points.items()},
                    escalation=tuple(esc_pairs))

    cats_raw = v.mapping(raw.get("categories"), "categories")
    missing = [c.value for c in Category if c.value not in cats_raw]
    if missing:
        raise v.fail("categories", f"lacks {missing}: every category needs a rule")
    v.keys(cats_raw, {c.value for c in Category}, "categories")
    categories: dict[str, CategoryRule] = {}
    for name, c in cats_raw.items():
        p = f"categories.{name}"
        v.mapping(c, p)
        v.keys(c, {"severity", "entry", "limit_features", "strike_days", "ban_days", "cleanup"}, p)
        if c.get("severity") not in _SEVERITIES:
            raise v.fail(f"{p}.severity", f"must be one of {_SEVERITIES}, not {c.get('severity')!r}")
        entry = v.mapping(c.get("entry"), f"{p}.entry")
        for s in _SEVERITIES:
            v.number(entry, s, f"{p}.entry", 1, ladder.top)
        feats = c.get("limit_features") or []
        bad = [f for f in feats if f not in {x.value for x in Feature}]
        if bad or not feats:
            raise v.fail(f"{p}.limit_features", f"must list features from {[x.value for x in Feature]}, got {feats}")
        bans = v.mapping(c.get("ban_days"), f"{p}.ban_days")
        for s in _SEVERITIES:
            v.number(bans, s, f"{p}.ban_days", 0)
        categories[name] = CategoryRule(
            name=name, severity=c["severity"], entry={k: int(x) for k, x in entry.items()},
            limit_features=tuple(feats), strike_days=int(v.number(c, "strike_days", p, 1)),
            ban_days={k: int(x) for k, x in bans.items()}, cleanup=bool(c.get("cleanup", False)),
        )

    tiers_raw = v.mapping(raw.get("tiers"), "tiers")
    missing = [t.value for t in Tier if t.value not in tiers_raw]
    if missing:
        raise v.fail("tiers", f"lacks {missing}: every tier needs a rule")
    v.keys(tiers_raw, {t.value for t in Tier}, "tiers")
    tiers: dict[str, TierRule] = {}
    for name, t in tiers_raw.items():
        p = f"tiers.{name}"
        v.mapping(t, p)
        v.keys(t, {"open_min_score", "open_min_score_by_category", "priority", "second_review", "auto"}, p)
        by_cat = v.mapping(t.get("open_min_score_by_category") or {}, f"{p}.open_min_score_by_category")
        v.keys(by_cat, {c.value for c in Category}, f"{p}.open_min_score_by_category")
        for k in by_cat:
            v.number(by_cat, k, f"{p}.open_min_score_by_category", 0, 1)
        second = t.get("second_review") or []
        if not isinstance(second, list) or any(a not in _ACTIONS for a in second):
            raise v.fail(f"{p}.second_review", f"must list actions from {_ACTIONS}")
        autos: dict[str, AutoRule] = {}
        for cat, a in v.mapping(t.get("auto") or {}, f"{p}.auto").items():
            ap = f"{p}.auto.{cat}"
            if cat not in categories:
                raise v.fail(ap, f"unknown category; known: {sorted(categories)}")
            v.mapping(a, ap)
            v.keys(a, {"min_score", "max_action"}, ap)
            if a.get("max_action") not in _ACTIONS:
                raise v.fail(f"{ap}.max_action", f"must be one of {_ACTIONS}")
            if name == Tier.HEAD.value and a["max_action"] == "close":
                raise v.fail(f"{ap}.max_action", "close is not allowed: a head account is never closed automatically")
            autos[cat] = AutoRule(v.number(a, "min_score", ap, 0.5, 1), Action(a["max_action"]))
        tiers[name] = TierRule(
            name=name, open_min_score=v.number(t, "open_min_score", p, 0, 1),
            open_min_score_by_category={k: float(x) for k, x in by_cat.items()},
            priority=int(v.number(t, "priority", p, 0)), second_review=tuple(second), auto=autos,
        )

    kinds = v.mapping(raw.get("kinds") or {}, "kinds")
    no_case = frozenset(k for k, x in kinds.items() if isinstance(x, dict) and x.get("opens_case") is False)
    ff = v.mapping(raw.get("fake_followers"), "fake_followers")
    fake_followers = {"min_score": v.number(ff, "min_score", "fake_followers", 0, 1),
                      "min_count": v.number(ff, "min_count", "fake_followers", 1),
                      "min_share": v.number(ff, "min_share", "fake_followers", 0, 1)}
    comp = v.mapping(raw.get("complaints"), "complaints")
    complaints = {k: v.number(comp, k, "complaints", 0) for k in
                  ("open_min_weight", "mass_threshold", "window_days", "handle_days", "priority_per_weight")}
    app_ = v.mapping(raw.get("appeals"), "appeals")
    appeals = {k: int(v.number(app_, k, "appeals", 1)) for k in ("window_days", "decide_days")}
    gf = v.mapping(raw.get("guidance_first") or {}, "guidance_first")
    if gf:
        if gf.get("max_severity", "low") not in _SEVERITIES:
            raise v.fail("guidance_first.max_severity", f"must be one of {_SEVERITIES}")
        bad = [t for t in gf.get("tiers", []) if t not in tiers]
        if bad:
            raise v.fail("guidance_first.tiers", f"unknown tiers {bad}")
    cr = v.mapping(raw.get("credit") or {}, "credit")
    unknown = set(cr) - set(CreditRules.__dataclass_fields__)
    if unknown:
        raise v.fail("credit", f"unknown keys {sorted(unknown)}")
    return CasePolicy(
        raw=raw, source=source, lease_minutes=lease, sla_hours={k: float(x) for k, x in sla.items()},
        sla_head_factor=v.number(raw, "sla_head_factor", "", 0.01, 1),
        bump_score=v.number(sev, "bump_score", "severity", 0, 1),
        bump_findings=int(v.number(sev, "bump_findings", "severity", 1)),
        bump_complaints=v.number(sev, "bump_complaints", "severity", 0),
        ladder=ladder, categories=categories, tiers=tiers, kinds_no_case=no_case,
        fake_followers=fake_followers, complaints=complaints, appeals=appeals, guidance_first=dict(gf),
        credit=CreditRules.from_dict(cr),
    )


def default_policy() -> CasePolicy:
    return parse_policy(default_policy_dict(), "default case policy")
