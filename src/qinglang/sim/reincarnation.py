"""Comebacks of closed accounts (reincarnations) and their innocent look-alikes (decoys).

Planning happens before names and the graph exist: which closed accounts come
back, as which account slot, when, with which nickname tricks, which identity
kinds they reuse, whether they reuse the avatar and how many old fans follow
them again. Names, identities and follows realise the plan in their modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import population as P
from qinglang.sim.config import DAY, SNAPSHOT, SimConfig, exact_count
from qinglang.sim.enforcement import Enforcements

DECOY_KINDS = ("fan_club", "common_name", "shared_campus_ip")
FAN_CLUB, COMMON_NAME, CAMPUS_IP = 0, 1, 2
#: Identity kinds a comeback may reuse, and how likely each is when it reuses some.
SHARE_KINDS = ("phone", "device", "ip", "payment", "email")
SHARE_P = np.array([0.45, 0.5, 0.4, 0.3, 0.2])
AVATAR_NEW, AVATAR_EXACT, AVATAR_NEAR = 0, 1, 2
TRICK_POOL = ("homophone", "similar_shape", "pinyin", "initials", "traditional", "digits", "symbols", "emoji",
              "full_width", "decorative")
TRICK_P = np.array([0.16, 0.1, 0.08, 0.05, 0.1, 0.13, 0.11, 0.08, 0.05, 0.14])


@dataclass
class Comebacks:
    new: np.ndarray  # int64 account of the new registration
    banned: np.ndarray  # int64 closed account it continues
    during_ban: np.ndarray  # bool: registered while the re-registration ban ran
    share_kinds: list[tuple[str, ...]]  # planned identity kinds to reuse ()
    avatar_mode: np.ndarray  # int8 AVATAR_*
    fan_share: np.ndarray  # float planned share of old fans who follow again
    planned_tricks: list[list[str]]  # [] = same nickname
    bio_copy: np.ndarray  # bool: reuses (a variant of) the old bio
    # Filled by profiles/identities/graph.
    tricks: list[list[str]] | None = None
    shared: list[list[str]] | None = None
    fans_migrated: np.ndarray | None = None
    fans_old: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.new.size)


@dataclass
class Decoys:
    account: np.ndarray  # int64
    resembles: np.ndarray  # int64 closed account
    kind: np.ndarray  # int8 DECOY_KINDS


def _slots(pop: P.Population, k: int, rng: np.random.Generator) -> np.ndarray:
    ok = ((pop.role == P.ACTIVE) | (pop.role == P.CASUAL)) & ~pop.is_slot() & (pop.violator < 0)
    ok &= pop.pop_rank > 0.01 * pop.n
    cand = np.flatnonzero(ok)
    return rng.choice(cand, min(k, cand.size), replace=False).astype(np.int64)


def plan(cfg: SimConfig, pop: P.Population, enf: Enforcements, rng: np.random.Generator) -> tuple[Comebacks, Decoys]:
    closed = enf.closed
    if closed.size == 0:
        e = np.empty(0, np.int64)
        return (
            Comebacks(new=e, banned=e, during_ban=np.empty(0, bool), share_kinds=[], avatar_mode=np.empty(0, np.int8),
                      fan_share=np.empty(0), planned_tricks=[], bio_copy=np.empty(0, bool)),
            Decoys(account=e, resembles=e, kind=np.empty(0, np.int8)),
        )
    n_cb = min(round(cfg.comeback_share * closed.size), closed.size)
    popular = pop.pop_rank[closed] < 0.05 * pop.n
    w = np.where(popular, 4.0, 1.0)
    pick = np.sort(rng.choice(closed.size, n_cb, replace=False, p=w / w.sum()))
    banned = closed[pick]
    decided = pop.closed_at[banned]
    ban_until = enf.ban_until[pick]
    slots = _slots(pop, n_cb, rng)
    n_cb = slots.size
    banned, decided, ban_until = banned[:n_cb], decided[:n_cb], ban_until[:n_cb]

    # Registration time of the comeback.
    r = rng.random(n_cb)
    delay = np.where(r < 0.45, rng.uniform(DAY, 30 * DAY, n_cb), rng.uniform(30 * DAY, 365 * DAY, n_cb))
    after_ban = (r > 0.8) & (ban_until > 0) & (ban_until < SNAPSHOT - 15 * DAY)
    created = np.where(after_ban, ban_until + rng.uniform(DAY, 60 * DAY, n_cb), decided + delay).astype(np.int64)
    late = created > SNAPSHOT - 5 * DAY
    created[late] = decided[late] + (rng.random(late.sum()) * (SNAPSHOT - 5 * DAY - decided[late])).astype(np.int64)
    created = np.maximum(created, decided + 2 * 3600)
    during = (ban_until == 0) | (created < ban_until)
    pop.created[slots] = created
    pop.last_active[slots] = np.maximum(SNAPSHOT - rng.exponential(5 * DAY, n_cb).astype(np.int64), created + 3600)
    pop.comeback_of[slots] = banned
    keep_violating = rng.random(n_cb) < 0.3
    pop.violator[slots[keep_violating]] = pop.violator[banned[keep_violating]]

    # Identity reuse: an exact share reuses nothing.
    n_none = exact_count(cfg.no_identity_share, n_cb)
    none = np.zeros(n_cb, bool)
    none[rng.choice(n_cb, n_none, replace=False)] = True
    share_kinds: list[tuple[str, ...]] = []
    for i in range(n_cb):
        if none[i]:
            share_kinds.append(())
            continue
        pick_k = rng.random(len(SHARE_KINDS)) < SHARE_P
        if not pick_k.any():
            pick_k[rng.integers(len(SHARE_KINDS))] = True
        share_kinds.append(tuple(k for k, m in zip(SHARE_KINDS, pick_k) if m))

    avatar_mode = rng.choice([AVATAR_NEW, AVATAR_EXACT, AVATAR_NEAR], n_cb, p=[0.3, 0.1, 0.6]).astype(np.int8)
    fan_share = np.where(rng.random(n_cb) < 0.85, rng.uniform(0.05, 0.6, n_cb), 0.0)

    # Nickname tricks: a few keep the very same name, most use one to three tricks.
    nt = rng.choice([0, 1, 2, 3], n_cb, p=[0.07, 0.5, 0.31, 0.12])
    planned: list[list[str]] = []
    for i in range(n_cb):
        k = int(nt[i])
        planned.append(list(rng.choice(TRICK_POOL, k, replace=False, p=TRICK_P)) if k else [])
    bio_copy = rng.random(n_cb) < 0.5

    cb = Comebacks(
        new=slots, banned=banned, during_ban=during, share_kinds=share_kinds, avatar_mode=avatar_mode,
        fan_share=fan_share, planned_tricks=[[str(t) for t in p] for p in planned], bio_copy=bio_copy,
    )

    # Decoys: fan clubs of closed popular accounts, same common name, same campus IP.
    n_dec = round(cfg.decoys_per_comeback * max(n_cb, 1))
    n_fan = round(0.4 * n_dec)
    n_common = round(0.3 * n_dec)
    n_campus = n_dec - n_fan - n_common
    dslots = _slots(pop, n_dec, rng)
    n_dec = dslots.size
    order = np.argsort(pop.pop_rank[closed], kind="stable")
    stars = closed[order[: max(1, min(closed.size, max(n_fan, closed.size // 5)))]]
    res_fan = stars[rng.integers(0, stars.size, n_fan)]
    res_other = closed[rng.integers(0, closed.size, n_common + n_campus)]
    resembles = np.concatenate([res_fan, res_other])[:n_dec]
    kind = np.array([FAN_CLUB] * n_fan + [COMMON_NAME] * n_common + [CAMPUS_IP] * n_campus, np.int8)[:n_dec]
    dec_at = pop.closed_at[resembles]
    created = np.where(
        kind == FAN_CLUB,
        pop.created[resembles] + 30 * DAY + rng.random(n_dec) * np.maximum(SNAPSHOT - 10 * DAY - pop.created[resembles] - 30 * DAY, DAY),
        dec_at + DAY + rng.random(n_dec) * np.maximum(SNAPSHOT - 5 * DAY - dec_at - DAY, DAY),
    ).astype(np.int64)
    pop.created[dslots] = created
    pop.last_active[dslots] = np.maximum(SNAPSHOT - rng.exponential(8 * DAY, n_dec).astype(np.int64), created + 3600)
    pop.decoy_of[dslots] = resembles
    pop.decoy_kind[dslots] = kind
    return cb, Decoys(account=dslots, resembles=resembles, kind=kind)
