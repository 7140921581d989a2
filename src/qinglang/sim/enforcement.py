"""Sanctions decided before qinglang: closed accounts and milder past actions.

Closed accounts are habitual violators of one category; their close row's
`until` is the end of the re-registration ban (empty = permanent). Some of
them had warnings or suspensions before. Other violators carry warnings,
restrictions or suspensions (some still running at snapshot time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.categories import CATEGORY_NAMES, OTHER
from qinglang.sim.config import DAY, SNAPSHOT, YEAR, SimConfig

ACTIONS = ("warning", "restrict", "suspend", "close")
WARNING, RESTRICT, SUSPEND, CLOSE = range(4)
CLOSE_MIX = (0.12, 0.20, 0.18, 0.25, 0.12, 0.08, 0.05)  # by CATEGORY_NAMES
BAN_DAYS = np.array([90, 180, 365, 730, 1095, 0])  # 0 = permanent
BAN_P = np.array([0.15, 0.25, 0.25, 0.15, 0.1, 0.1])


@dataclass
class Enforcements:
    account: np.ndarray  # int64
    action: np.ndarray  # int8 ACTIONS
    category: np.ndarray  # int8 CATEGORY_NAMES
    decided: np.ndarray  # int64
    until: np.ndarray  # int64, 0 = none
    closed: np.ndarray  # int64 indices of closed accounts
    ban_until: np.ndarray  # int64 per closed account, 0 = permanent
    close_category: np.ndarray  # int8 per closed account

    @property
    def rows(self) -> int:
        return int(self.account.size)


def plan(cfg: SimConfig, pop: P.Population, rng: np.random.Generator) -> Enforcements:
    n = pop.n
    cand_mask = (pop.role != P.FAKE) & (pop.role != P.DORMANT) & (pop.created < SNAPSHOT - 300 * DAY)
    if pop.mega >= 0:
        cand_mask[pop.mega] = False
    cand = np.flatnonzero(cand_mask)
    n_closed = min(cfg.n_closed, cand.size // 2)
    popular = cand[pop.pop_rank[cand] < 0.05 * n]
    n_pop = min(round(0.15 * n_closed), popular.size // 2)
    chosen_pop = rng.choice(popular, n_pop, replace=False) if n_pop else np.empty(0, np.int64)
    rest = np.setdiff1d(cand, chosen_pop)
    chosen_rest = rng.choice(rest, n_closed - n_pop, replace=False)
    closed = np.sort(np.concatenate([chosen_pop, chosen_rest]).astype(np.int64))

    lo = np.maximum(pop.created[closed] + 180 * DAY, SNAPSHOT - 4 * YEAR)
    hi = SNAPSHOT - 30 * DAY
    decided = (lo + rng.random(closed.size) * (hi - lo)).astype(np.int64)
    cat = rng.choice(len(CATEGORY_NAMES), closed.size, p=CLOSE_MIX).astype(np.int8)
    ban = rng.choice(BAN_DAYS, closed.size, p=BAN_P)
    ban_until = np.where(ban > 0, decided + ban * DAY, 0).astype(np.int64)

    pop.closed_at[closed] = decided
    pop.end[closed] = decided
    pop.status[closed] = P.ST_CLOSED
    quiet = rng.integers(0, 3 * DAY, closed.size)
    pop.last_active[closed] = np.maximum(np.minimum(pop.last_active[closed], decided - quiet), pop.created[closed] + DAY)
    pop.violator[closed] = np.where(cat == OTHER, -1, cat)

    rows: list[tuple[np.ndarray, ...]] = []
    rows.append((closed, np.full(closed.size, CLOSE), cat, decided, ban_until))
    # Earlier warnings and suspensions of the same accounts, same category.
    w = rng.random(closed.size) < 0.4
    wt = decided[w] - rng.integers(20 * DAY, 200 * DAY, w.sum())
    wt = np.maximum(wt, pop.created[closed[w]] + DAY)
    rows.append((closed[w], np.full(w.sum(), WARNING), cat[w], wt, np.zeros(w.sum(), np.int64)))
    s = rng.random(closed.size) < 0.25
    st = decided[s] - rng.integers(10 * DAY, 120 * DAY, s.sum())
    st = np.maximum(st, pop.created[closed[s]] + DAY)
    rows.append((closed[s], np.full(s.sum(), SUSPEND), cat[s], st, st + rng.choice([7, 15, 30], s.sum()) * DAY))

    # Habitual violators still on the platform.
    others = np.setdiff1d(cand, closed)
    n_viol = min(max(20, round(0.004 * n)), others.size // 4)
    viol = np.sort(rng.choice(others, n_viol, replace=False))
    vcat = rng.choice(6, n_viol, p=np.array(CLOSE_MIX[:6]) / sum(CLOSE_MIX[:6])).astype(np.int8)
    pop.violator[viol] = vcat
    act = rng.choice([WARNING, RESTRICT, SUSPEND, -1], n_viol, p=[0.45, 0.15, 0.15, 0.25])
    has = act >= 0
    va, vc, vact = viol[has], vcat[has], act[has]
    vlo = np.maximum(pop.created[va] + 30 * DAY, SNAPSHOT - 2 * YEAR)
    vdec = (vlo + rng.random(va.size) * (SNAPSHOT - 2 * DAY - vlo)).astype(np.int64)
    length = np.where(vact == RESTRICT, rng.integers(30, 181, va.size), rng.integers(7, 91, va.size)) * DAY
    vuntil = np.where(vact == WARNING, 0, vdec + length).astype(np.int64)
    rows.append((va, vact, vc, vdec, vuntil))
    running = vuntil > SNAPSHOT
    pop.status[va[running & (vact == RESTRICT)]] = P.ST_RESTRICTED
    pop.status[va[running & (vact == SUSPEND)]] = P.ST_SUSPENDED

    account = np.concatenate([r[0] for r in rows]).astype(np.int64)
    action = np.concatenate([r[1] for r in rows]).astype(np.int8)
    category = np.concatenate([r[2] for r in rows]).astype(np.int8)
    dec = np.concatenate([r[3] for r in rows]).astype(np.int64)
    until = np.concatenate([r[4] for r in rows]).astype(np.int64)
    order = np.lexsort((action, dec, account))
    return Enforcements(
        account=account[order],
        action=action[order],
        category=category[order],
        decided=dec[order],
        until=until[order],
        closed=closed,
        ban_until=ban_until,
        close_category=cat,
    )
