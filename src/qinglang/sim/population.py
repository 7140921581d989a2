"""Who is on the platform: roles, registration times, activity windows, popularity.

Everything here is a numpy array indexed by account number 0..n-1; later
modules (farms, enforcement, reincarnation) refine the arrays in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qinglang.sim.config import DAY, HOUR, PLATFORM_START, SNAPSHOT, YEAR, SimConfig

# Roles (for fake-account ground truth).
HEAD, ACTIVE, CASUAL, DORMANT, FAKE = 0, 1, 2, 3, 4
ROLE_NAMES = ("head", "genuine_active", "genuine_casual", "genuine_dormant", "fake")

# Kinds of head accounts.
NO_HEAD, STAR, KOL, MEDIA, BRAND = 0, 1, 2, 3, 4
HEAD_KIND_NAMES = ("", "star", "kol", "media", "brand")

# Account status codes (data contract enum order).
STATUS_NAMES = ("active", "restricted", "suspended", "closed")
ST_ACTIVE, ST_RESTRICTED, ST_SUSPENDED, ST_CLOSED = 0, 1, 2, 3

#: Zipf exponent and offset of followee popularity by popularity rank.
ZIPF_ALPHA = 1.0
ZIPF_OFFSET = 4.0


@dataclass
class Population:
    n: int
    role: np.ndarray  # int8, ROLE_NAMES
    created: np.ndarray  # int64 seconds
    last_active: np.ndarray  # int64: nothing the account does is later
    end: np.ndarray  # int64: closure time, or SNAPSHOT; nobody follows/engages it later
    pop_rank: np.ndarray  # int64, 0 = most popular genuine account
    popularity: np.ndarray  # float64 weight of being followed organically
    head_kind: np.ndarray  # int8, HEAD_KIND_NAMES
    verified: np.ndarray  # bool
    status: np.ndarray  # int8, STATUS_NAMES
    farm: np.ndarray  # int32 farm id or -1
    mega: int = -1
    # Filled by enforcement / reincarnation planning.
    closed_at: np.ndarray = field(default=None)  # int64, 0 if never closed
    violator: np.ndarray = field(default=None)  # int8 category code of a habitual violator, -1 if none
    comeback_of: np.ndarray = field(default=None)  # int32 banned account a comeback continues, -1
    decoy_of: np.ndarray = field(default=None)  # int32 banned account a decoy resembles, -1
    decoy_kind: np.ndarray = field(default=None)  # int8 index into DECOY_KINDS, -1

    def genuine_mask(self) -> np.ndarray:
        return self.role != FAKE

    def is_slot(self) -> np.ndarray:
        """Accounts whose story is already written (closed, comeback, decoy, mega)."""
        m = (self.closed_at > 0) | (self.comeback_of >= 0) | (self.decoy_of >= 0)
        if self.mega >= 0:
            m = m.copy()
            m[self.mega] = True
        return m


def _span(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, a: float, b: float, size: int):
    """Times in [lo, hi) shaped by a Beta(a, b) draw."""
    u = rng.beta(a, b, size)
    return (np.asarray(lo) + u * (np.asarray(hi) - np.asarray(lo))).astype(np.int64)


def build(cfg: SimConfig, rng: np.random.Generator) -> Population:
    n = cfg.accounts
    n_head = max(5, round(0.005 * n))
    n_fake = max(60, round(cfg.fake_share * n))
    n_dormant = round(0.22 * n)
    n_casual = round(0.22 * n)
    n_active = n - n_head - n_fake - n_dormant - n_casual
    role = np.repeat(
        np.array([HEAD, ACTIVE, CASUAL, DORMANT, FAKE], np.int8), [n_head, n_active, n_casual, n_dormant, n_fake]
    )
    rng.shuffle(role)

    created = np.zeros(n, np.int64)
    last_active = np.zeros(n, np.int64)
    for r, (lo, hi, a, b) in {
        HEAD: (PLATFORM_START, SNAPSHOT - YEAR, 1.1, 2.5),
        ACTIVE: (PLATFORM_START, SNAPSHOT - 7 * DAY, 1.3, 1.2),
        CASUAL: (PLATFORM_START, SNAPSHOT - 2 * DAY, 3.0, 1.0),
        DORMANT: (PLATFORM_START, SNAPSHOT - 4 * YEAR, 1.2, 1.6),
    }.items():
        idx = np.flatnonzero(role == r)
        created[idx] = _span(rng, lo, hi, a, b, idx.size)
    # Activity windows.
    for r, mean_gap in ((HEAD, 1.0), (ACTIVE, 12.0), (CASUAL, 45.0)):
        idx = np.flatnonzero(role == r)
        gap = (rng.exponential(mean_gap * DAY, idx.size)).astype(np.int64)
        floor = created[idx] + rng.integers(HOUR, 2 * DAY, idx.size)
        last_active[idx] = np.maximum(SNAPSHOT - 60 - gap, floor)
    # Dormant users stopped at least three years before the snapshot.
    idx = np.flatnonzero(role == DORMANT)
    life = rng.uniform(60 * DAY, 4 * YEAR, idx.size).astype(np.int64)
    cap = SNAPSHOT - 3 * YEAR - rng.integers(0, 200 * DAY, idx.size)
    stop = created[idx] + life
    over = stop > cap
    stop[over] = created[idx][over] + (rng.random(over.sum()) * (cap[over] - created[idx][over])).astype(np.int64)
    last_active[idx] = np.maximum(stop, created[idx] + 7 * DAY)

    # Popularity: heads first, then active users, then casual, then dormant (with overlap).
    key = rng.random(n)
    key[role == HEAD] += 10.0
    key[role == ACTIVE] += 0.35
    key[role == DORMANT] -= 0.25
    key[role == FAKE] = -10.0
    order = np.argsort(-key, kind="stable")
    pop_rank = np.empty(n, np.int64)
    pop_rank[order] = np.arange(n)
    popularity = (pop_rank + ZIPF_OFFSET) ** -ZIPF_ALPHA
    popularity[role == FAKE] = 0.0

    head_kind = np.zeros(n, np.int8)
    heads = np.flatnonzero(role == HEAD)
    head_kind[heads] = rng.choice([STAR, KOL, MEDIA, BRAND], heads.size, p=[0.45, 0.25, 0.15, 0.15])
    verified = np.zeros(n, bool)
    p_ver = np.where(head_kind >= MEDIA, 0.95, 0.7)
    verified[heads] = rng.random(heads.size) < p_ver[heads]
    large = (pop_rank >= n_head) & (pop_rank < 0.05 * n) & (role != FAKE)
    verified |= large & (rng.random(n) < 0.15)
    verified |= (role == ACTIVE) & (rng.random(n) < 0.01)

    pop = Population(
        n=n,
        role=role,
        created=created,
        last_active=last_active,
        end=np.full(n, SNAPSHOT, np.int64),
        pop_rank=pop_rank,
        popularity=popularity,
        head_kind=head_kind,
        verified=verified,
        status=np.zeros(n, np.int8),
        farm=np.full(n, -1, np.int32),
        closed_at=np.zeros(n, np.int64),
        violator=np.full(n, -1, np.int8),
        comeback_of=np.full(n, -1, np.int32),
        decoy_of=np.full(n, -1, np.int32),
        decoy_kind=np.full(n, -1, np.int8),
    )
    if cfg.n_mega:
        # The most popular head account becomes the mega account: old, verified, a star.
        m = int(order[0])
        pop.mega = m
        created[m] = PLATFORM_START + int(rng.integers(DAY, 30 * DAY))
        verified[m] = True
        head_kind[m] = STAR
        popularity[m] = 0.0  # its followers are drawn separately (graph.mega_edges)
    return pop


def n_heads(n: int) -> int:
    return max(5, round(0.005 * n))
