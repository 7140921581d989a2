"""What every governance service works with: the store, the case policy, a view of the lake, a clock.

Governance services (cases, enforcement, appeals, complaints, guidance,
standing, audit, outbox, registrations, figures) are plain functions taking a
`Governance` and a command's arguments and returning a result; each write is
one unit of work on the store with the acting person recorded. They know
nothing of the CLI or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from qinglang.domain.case_policy import CasePolicy
from qinglang.errors import QinglangError
from qinglang.store.sql.store import SqlStore


class LakeView(Protocol):
    """What governance reads from the lake (never writes)."""

    def tiers(self, account_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """tier and follower count per known account."""

    def fake_followers(self, account_id: str, min_score: float) -> list[str]:
        """The account's followers judged fake (fake_account findings at or above min_score)."""

    def fake_follower_counts(self, min_score: float, min_count: int) -> list[dict[str, Any]]:
        """Per followed account with at least min_count fake followers: account_id, fake, followers."""

    def reports(self) -> list[dict[str, Any]]:
        """The snapshot's netizen reports (report_id, reporter_id, account_id, post_id, category, created_at, text)."""

    def nickname(self, account_id: str) -> str | None: ...


class NoLake:
    """Governance without a lake (a store used on its own): every account is regular, no fake followers."""

    def tiers(self, account_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        return {}

    def fake_followers(self, account_id: str, min_score: float) -> list[str]:
        return []

    def fake_follower_counts(self, min_score: float, min_count: int) -> list[dict[str, Any]]:
        return []

    def reports(self) -> list[dict[str, Any]]:
        return []

    def nickname(self, account_id: str) -> str | None:
        return None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Governance:
    store: SqlStore
    policy: CasePolicy
    lake: LakeView = field(default_factory=NoLake)
    clock: Callable[[], datetime] = utcnow
    workspace_dir: Path | None = None

    def now(self, now: datetime | None = None) -> datetime:
        t = now or self.clock()
        if t.tzinfo is None:
            raise QinglangError("times must carry a time zone")
        return t.astimezone(timezone.utc)

    def tier_of(self, account_id: str, given: str | None = None) -> str:
        if given:
            return given
        t = self.lake.tiers([account_id]).get(account_id)
        return t[0] if t else "regular"


def jsonable(value: Any) -> Any:
    """Rows and results as JSON-ready values (datetimes as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    return value


def parse_time(text: str, what: str) -> datetime:
    """ISO 8601 date or datetime; no offset means Asia/Shanghai for dates given by people."""
    from zoneinfo import ZoneInfo

    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise QinglangError(f"{what} must be an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T08:00+08:00), not {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return t.astimezone(timezone.utc)


POLICY_FILE = ("governance", "case_policy.yaml")


def load_case_policy(home: Path | None, path: Path | None = None) -> CasePolicy:
    """The default case policy, with `path` (or <home>/governance/case_policy.yaml when present) merged over it."""
    import yaml

    from qinglang.domain.case_policy import default_policy_dict, merge, parse_policy

    raw = default_policy_dict()
    source = "default case policy"
    if path is None and home is not None and home.joinpath(*POLICY_FILE).exists():
        path = home.joinpath(*POLICY_FILE)
    if path is not None:
        try:
            override = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise QinglangError(f"{path}: no such case-policy file") from None
        except yaml.YAMLError as e:
            raise QinglangError(f"{path}: not valid YAML ({e})") from None
        if not isinstance(override, dict):
            raise QinglangError(f"{path}: a case policy is a mapping of settings")
        raw = merge(raw, override)
        source = str(path)
    return parse_policy(raw, source)


def checkpoint_path(home: Path, db_url: str | None) -> Path:
    """Where the audit chain's head is checkpointed: one file per store the workspace uses."""
    if not db_url:
        return home / "audit" / "checkpoint.json"
    import hashlib

    from qinglang.store.sql.engine import normalise_url, redact

    fp = hashlib.sha256(redact(normalise_url(db_url)).encode()).hexdigest()[:12]
    return home / "audit" / f"checkpoint-{fp}.json"
