"""Netizen complaints: how much a pile of complaints weighs.

Many complaints from a few reporters count little:
- each reporter counts once per (account, category), however often they complain;
- a reporter who files many complaints about the same account (across categories, as
  mass-reporting campaigns do) weighs 1/sqrt(their complaints about it);
- a reporter who complains about many different accounts in the window weighs
  sqrt(mass_threshold / accounts they reported) once above the threshold.
The effective weight of an (account, category) is the sum over its distinct reporters.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class ComplaintRef:
    reporter_id: str
    account_id: str
    category: str


def reporter_weights(complaints: Iterable[ComplaintRef], mass_threshold: int = 3) -> dict[str, float]:
    """Weight of each reporter: 1 up to `mass_threshold` accounts reported, then sqrt(threshold / accounts)."""
    targets: dict[str, set[str]] = defaultdict(set)
    for c in complaints:
        targets[c.reporter_id].add(c.account_id)
    return {r: reporter_weight(len(accounts), mass_threshold) for r, accounts in targets.items()}


def effective_weights(complaints: Iterable[ComplaintRef], mass_threshold: int = 3) -> dict[tuple[str, str], float]:
    """Effective complaint weight per (account, category)."""
    items = list(complaints)
    w = reporter_weights(items, mass_threshold)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in items:
        seen[(c.account_id, c.category)].add(c.reporter_id)
    return {key: round(sum(w[r] for r in reporters), 6) for key, reporters in seen.items()}


def reporter_weight(accounts_reported: int, mass_threshold: int = 3) -> float:
    return 1.0 if accounts_reported <= mass_threshold else math.sqrt(mass_threshold / accounts_reported)


def weight_of(reporters: Iterable[str], breadth: dict[str, int], mass_threshold: int = 3,
              repeats: dict[str, int] | None = None) -> float:
    """Effective weight of complaints by these reporters, given how many accounts each reported
    and how many complaints each filed about this account."""
    repeats = repeats or {}
    return round(sum(reporter_weight(breadth.get(r, 1), mass_threshold) / math.sqrt(max(1, repeats.get(r, 1)))
                     for r in set(reporters)), 6)
