"""The sanction ladder: pure, table-driven rules for what a violation earns.

    step 1  warning
    step 2  feature limits for N days (no new followers, no monetisation, no live streaming, de-ranking)
    step 3  suspension for N days
    step 4  longer suspension
    step 5  closure
    step 6  closure with a re-registration ban for a period scaled to the violation

A case enters the ladder at a step given by its category and severity; active
strikes (points of earlier, unexpired, unreversed sanctions) push a repeat
offender further up. The tables live in the case-policy file
(domain/case_policy.yaml); this module only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Iterable

from qinglang.errors import QinglangError


class Action(StrEnum):
    WARNING = "warning"
    LIMIT = "limit"
    SUSPEND = "suspend"
    CLOSE = "close"

    @property
    def rank(self) -> int:
        return _ACTION_RANK[self]

    @property
    def contract(self) -> str:
        """The data contract's enforcement action (enforcements table, bans)."""
        return "restrict" if self is Action.LIMIT else self.value


_ACTION_RANK = {Action.WARNING: 1, Action.LIMIT: 2, Action.SUSPEND: 3, Action.CLOSE: 4}


class Feature(StrEnum):
    """Account features a limit switches off."""

    NO_NEW_FOLLOWERS = "no_new_followers"
    NO_MONETISATION = "no_monetisation"
    NO_LIVE_STREAMING = "no_live_streaming"
    DERANK = "derank"


FEATURE_LABELS = {
    Feature.NO_NEW_FOLLOWERS: ("no new followers", "禁止新增粉丝"),
    Feature.NO_MONETISATION: ("no monetisation", "暂停营利权限"),
    Feature.NO_LIVE_STREAMING: ("no live streaming", "暂停直播"),
    Feature.DERANK: ("de-ranked in recommendations and search", "降低推荐与搜索权重"),
}

ACTION_LABELS = {
    Action.WARNING: ("warning", "警告"),
    Action.LIMIT: ("feature limits", "功能限制"),
    Action.SUSPEND: ("suspension", "暂停更新"),
    Action.CLOSE: ("account closure", "关闭账号"),
}


class SanctionStatus(StrEnum):
    ACTIVE = "active"  # in force (a warning or closure stays "active" as a record)
    EXPIRED = "expired"  # a limit or suspension whose period ended
    REVERSED = "reversed"  # overturned on appeal: all effects undone


@dataclass(frozen=True)
class SanctionSpec:
    """One sanction: what it does and for how long."""

    action: Action
    days: int | None = None  # limit / suspend: length in days
    features: tuple[str, ...] = ()  # limit: the features switched off
    ban_days: int | None = None  # close: re-registration ban in days; 0 = permanent; None = no ban
    step: int | None = None  # the ladder step it came from, if any

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", Action(self.action))
        object.__setattr__(self, "features", tuple(self.features))

    def validate(self) -> "SanctionSpec":
        a = self.action
        if a in (Action.LIMIT, Action.SUSPEND):
            if self.days is None or self.days < 1:
                raise QinglangError(f"a {a} needs a length in days of at least 1 (--days)")
        elif self.days is not None:
            raise QinglangError(f"a {a} has no length in days (drop --days)")
        if a is Action.LIMIT:
            if not self.features:
                raise QinglangError("a limit needs at least one feature (--features), one of " + ", ".join(f.value for f in Feature))
            bad = [f for f in self.features if f not in {x.value for x in Feature}]
            if bad:
                raise QinglangError(f"unknown limit features {bad}; known: {', '.join(f.value for f in Feature)}")
        elif self.features:
            raise QinglangError(f"only a limit switches features off, not a {a} (drop --features)")
        if self.ban_days is not None:
            if a is not Action.CLOSE:
                raise QinglangError(f"a re-registration ban comes only with a closure, not a {a} (drop --ban-days)")
            if self.ban_days < 0:
                raise QinglangError("--ban-days must be 0 (permanent) or more")
        return self

    def ends_at(self, start: datetime) -> datetime | None:
        return start + timedelta(days=self.days) if self.days else None

    def ban_until(self, start: datetime) -> datetime | None:
        """End of the re-registration ban; None when there is no ban or it is permanent."""
        if self.action is Action.CLOSE and self.ban_days:
            return start + timedelta(days=self.ban_days)
        return None

    @property
    def has_ban(self) -> bool:
        return self.action is Action.CLOSE and self.ban_days is not None

    def describe(self, lang: str = "en") -> str:
        en, zh = ACTION_LABELS[self.action]
        if lang == "zh":
            text = zh
            if self.action is Action.LIMIT:
                text += "（" + "、".join(FEATURE_LABELS[Feature(f)][1] for f in self.features) + f"，{self.days}天）"
            elif self.action is Action.SUSPEND:
                text += f"{self.days}天"
            elif self.has_ban:
                text += "，永久禁止重新注册" if self.ban_days == 0 else f"，{self.ban_days}天内禁止重新注册"
            return text
        text = en
        if self.action is Action.LIMIT:
            text += " (" + ", ".join(FEATURE_LABELS[Feature(f)][0] for f in self.features) + f") for {self.days} days"
        elif self.action is Action.SUSPEND:
            text += f" for {self.days} days"
        elif self.has_ban:
            text += " with a permanent re-registration ban" if self.ban_days == 0 else f" with a {self.ban_days}-day re-registration ban"
        return text

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"action": self.action.value}
        if self.days is not None:
            d["days"] = self.days
        if self.features:
            d["features"] = list(self.features)
        if self.ban_days is not None:
            d["ban_days"] = self.ban_days
        if self.step is not None:
            d["step"] = self.step
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SanctionSpec":
        return cls(
            action=Action(d["action"]),
            days=d.get("days"),
            features=tuple(d.get("features") or ()),
            ban_days=d.get("ban_days"),
            step=d.get("step"),
        )


@dataclass(frozen=True)
class Strike:
    """The points a sanction puts on an account's record, until they expire or are reversed."""

    points: int
    issued_at: datetime
    expires_at: datetime
    reversed: bool = False
    category: str = ""
    sanction_id: int | None = None

    def active(self, now: datetime) -> bool:
        return not self.reversed and self.issued_at <= now < self.expires_at


def active_points(strikes: Iterable[Strike], now: datetime) -> int:
    return sum(s.points for s in strikes if s.active(now))


@dataclass(frozen=True)
class Ladder:
    """The ladder's steps, strike points per action, and escalation of repeat offenders."""

    steps: tuple[dict[str, Any], ...]  # step n (1-based) = steps[n-1]: {action, days?, ban: bool}
    points: dict[str, int]
    escalation: tuple[tuple[int, int], ...]  # (min active points, steps added), ascending

    @property
    def top(self) -> int:
        return len(self.steps)

    def escalate(self, entry: int, points: int) -> int:
        """The step a case with `points` active strike points lands on, entering at `entry`."""
        add = 0
        for min_points, steps in self.escalation:
            if points >= min_points:
                add = steps
        return max(1, min(self.top, entry + add))

    def spec_at(self, step: int, features: Iterable[str] = (), ban_days: int | None = None) -> SanctionSpec:
        s = self.steps[step - 1]
        action = Action(s["action"])
        return SanctionSpec(
            action=action,
            days=s.get("days"),
            features=tuple(features) if action is Action.LIMIT else (),
            ban_days=(ban_days if ban_days is not None else 0) if s.get("ban") else None,
            step=step,
        )

    def points_for(self, spec: SanctionSpec) -> int:
        return int(self.points.get(spec.action.value, 0))


@dataclass(frozen=True)
class CategoryRule:
    """How the ladder treats one category."""

    name: str
    severity: str  # base severity of a case in this category
    entry: dict[str, int]  # severity -> entry step
    limit_features: tuple[str, ...]
    strike_days: int  # how long its strikes count
    ban_days: dict[str, int]  # severity -> re-registration ban days (0 = permanent)
    cleanup: bool = False  # fake-fan clean-up of the account's audience
    extra: dict[str, Any] = field(default_factory=dict)


def propose(ladder: Ladder, rule: CategoryRule, severity: str, points: int) -> SanctionSpec:
    """The sanction the ladder proposes for a case: entry step by severity, escalated by active points."""
    entry = int(rule.entry[severity])
    step = ladder.escalate(entry, points)
    return ladder.spec_at(step, rule.limit_features, rule.ban_days.get(severity, 0))


def make_strike(ladder: Ladder, rule: CategoryRule, spec: SanctionSpec, issued_at: datetime,
                sanction_id: int | None = None) -> Strike:
    return Strike(
        points=ladder.points_for(spec),
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=rule.strike_days),
        category=rule.name,
        sanction_id=sanction_id,
    )


def milder(spec: SanctionSpec, cap: Action) -> bool:
    """Whether a sanction is at most as strong as `cap`."""
    return spec.action.rank <= Action(cap).rank


def with_step(spec: SanctionSpec, step: int | None) -> SanctionSpec:
    return replace(spec, step=step)
