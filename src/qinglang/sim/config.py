"""Simulator configuration and the fixed calendar of the simulated platform."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


def epoch(iso: str) -> int:
    """Seconds since the Unix epoch of an ISO 8601 UTC timestamp."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp())


#: The snapshot is taken at this instant; every timestamp generated lies before it.
SNAPSHOT = epoch("2026-06-30T00:00:00Z")
#: The platform opened on this day; no account is older.
PLATFORM_START = epoch("2012-01-01T00:00:00Z")
HOUR = 3600
DAY = 86_400
YEAR = 365 * DAY

FORMATS = ("parquet", "csv", "jsonl")
FOLLOW_ORDERS = ("time", "rank", "both")


@dataclass
class SimConfig:
    """What to simulate.

    The defaults are the "default difficulty" the tests and baselines refer to.
    Shares are fractions of the relevant population; counts that must hold
    (aged farms, slow-drip farms, comebacks without shared identity, disguised
    violating posts) are allocated exactly, never left to chance.
    """

    out: Path
    accounts: int = 100_000
    seed: int = 7
    #: number of closed accounts in `enforcements` (default: 1% of accounts, at least 40)
    closed: int | None = None
    #: if set, one head account gets this many followers (capped at accounts - 1)
    mega_followers: int | None = None
    fmt: str = "parquet"
    #: time: follows carry followed_at; rank: only follow_rank; both: both columns
    follow_order: str = "time"
    #: organic follows per account (fake-farm, migration and mega follows come on top)
    follows_per_account: float = 19.0
    #: share of accounts that are fake-farm members
    fake_share: float = 0.06
    #: posts per account on average
    posts_per_account: float = 1.2
    #: organic interactions per post on average (before the bought ones)
    interactions_per_post: float = 3.0
    #: share of closed accounts that come back under a new registration
    comeback_share: float = 0.3
    #: innocent look-alikes per comeback
    decoys_per_comeback: float = 1.0
    aged_farm_share: float = 0.33
    slow_drip_share: float = 0.22
    #: share of comebacks that share no identity (phone/device/ip/payment/email) with the banned account
    no_identity_share: float = 0.35
    #: share of violating posts written in a disguised form
    disguise_share: float = 0.40
    #: share of posts that violate a rule (on top of the closed accounts' own violations)
    violation_share: float = 0.05
    #: share of posts that are hard benign (same topics as violations, but allowed)
    hard_benign_share: float = 0.05
    #: rows per chunk when writing big tables
    chunk_rows: int = 1_000_000
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.accounts < 500:
            raise ValueError("accounts must be at least 500")
        if self.fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(FORMATS)}")
        if self.follow_order not in FOLLOW_ORDERS:
            raise ValueError(f"follow_order must be one of {', '.join(FOLLOW_ORDERS)}")
        if self.closed is not None and not 0 <= self.closed <= self.accounts // 4:
            raise ValueError("closed must be between 0 and a quarter of the accounts")
        if self.mega_followers is not None and self.mega_followers < 1:
            raise ValueError("mega_followers must be positive")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")

    @property
    def n_closed(self) -> int:
        if self.closed is not None:
            return self.closed
        return max(40, round(self.accounts * 0.01))

    @property
    def n_mega(self) -> int:
        if not self.mega_followers:
            return 0
        return min(self.mega_followers, self.accounts - 1)

    @property
    def emit_time(self) -> bool:
        return self.follow_order in ("time", "both")

    @property
    def emit_rank(self) -> bool:
        return self.follow_order in ("rank", "both")


def exact_count(share: float, n: int) -> int:
    """Number of items for a share that must be met: rounded up, at most n."""
    return min(n, math.ceil(share * n - 1e-9))
