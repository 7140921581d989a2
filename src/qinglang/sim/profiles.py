"""Profiles of every account: nickname, bio and avatar hash.

Genuine users get varied names and bios (many dormant and casual users keep
the platform defaults); farm members get random or generated names, stock or
default avatars and empty or farm-template bios (aged farms look lived-in);
comebacks get a disguised variant of the banned nickname and often a
near-duplicate avatar; decoys look like a banned account without being it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.sim import avatars as A
from qinglang.sim import disguise as D
from qinglang.sim import names as N
from qinglang.sim import population as P
from qinglang.sim.enforcement import Enforcements
from qinglang.sim.farms import AGED, BATCH, FARM_KINDS, SLOW, Farms
from qinglang.sim.reincarnation import AVATAR_EXACT, AVATAR_NEAR, AVATAR_NEW, COMMON_NAME, FAN_CLUB, Comebacks, Decoys

# Avatar kinds: custom upload, stock photo, platform default, none.
CUSTOM, STOCK, DEFAULT, NONE = 0, 1, 2, 3
AVATAR_MIX = {
    "head": (1.0, 0.0, 0.0, 0.0),
    "active": (0.8, 0.08, 0.12, 0.0),
    "casual": (0.55, 0.1, 0.35, 0.0),
    "dormant": (0.3, 0.05, 0.62, 0.03),
    "batch": (0.0, 0.25, 0.65, 0.10),
    "slow_drip": (0.1, 0.4, 0.5, 0.0),
    "aged": (0.4, 0.4, 0.2, 0.0),
}
#: Share of accounts with a bio, by kind; farms use their own template pools.
BIO_SHARE = {"head": 0.95, "active": 0.7, "casual": 0.4, "dormant": 0.25}
FARM_TEMPLATE_SHARE = {BATCH: 0.45, SLOW: 0.55, AGED: 0.35}
FARM_GENUINE_BIO_SHARE = {BATCH: 0.0, SLOW: 0.05, AGED: 0.4}
FAN_CLUB_BIOS = ["{n}官方后援会，欢迎加入", "为{n}应援，爱{n}的都来", "{n}的资讯、图片、视频分享", "守护最好的{n}",
                 "{n}粉丝交流站"]
COMEBACK_BIO_TAILS = ["（新号）", "，原号没了，老粉回来", " 新号请多关照", "｜备用号", "，我又回来了"]


@dataclass
class Profiles:
    nickname: list[str]
    bio: list[str]
    avatar: np.ndarray  # uint64, 0 = no avatar
    avatar_kind: np.ndarray  # int8 CUSTOM/STOCK/DEFAULT/NONE
    stock: np.ndarray  # the stock photo pool


def _kind_of(pop: P.Population, farms: Farms) -> np.ndarray:
    """A profile kind per account: index into KIND_KEYS."""
    kind = np.empty(pop.n, np.int8)
    kind[pop.role == P.HEAD] = 0
    kind[pop.role == P.ACTIVE] = 1
    kind[pop.role == P.CASUAL] = 2
    kind[pop.role == P.DORMANT] = 3
    fk = pop.farm >= 0
    kind[fk] = 4 + farms.kind[pop.farm[fk]]
    return kind


KIND_KEYS = ("head", "active", "casual", "dormant", "batch", "aged", "slow_drip")
assert KIND_KEYS[4 + BATCH] == "batch" and KIND_KEYS[4 + AGED] == "aged" and KIND_KEYS[4 + SLOW] == "slow_drip"
assert FARM_KINDS == ("batch", "aged", "slow_drip")


def build(
    pop: P.Population, farms: Farms, enf: Enforcements, cb: Comebacks, dec: Decoys, rng: np.random.Generator
) -> Profiles:
    n = pop.n
    kind = _kind_of(pop, farms)
    nickname: list[str] = [""] * n
    bio: list[str] = [""] * n

    # Nicknames.
    heads = np.flatnonzero(pop.role == P.HEAD)
    hk = [P.HEAD_KIND_NAMES[k] for k in pop.head_kind[heads].tolist()]
    for i, name in zip(heads.tolist(), N.head_names(rng, hk)):
        nickname[i] = name
    for key in ("active", "casual", "dormant", "batch", "aged", "slow_drip"):
        idx = np.flatnonzero(kind == KIND_KEYS.index(key))
        for i, name in zip(idx.tolist(), N.mixed_names(rng, idx.size, key)):
            nickname[i] = name

    # Some closed accounts carry a common name (all those a common-name decoy copies).
    closed = enf.closed
    common = set(dec.resembles[dec.kind == COMMON_NAME].tolist())
    common |= set(closed[rng.random(closed.size) < 0.1].tolist())
    for i in sorted(common):
        if pop.role[i] != P.HEAD:
            nickname[i] = N.COMMON_NICKNAMES[int(rng.integers(len(N.COMMON_NICKNAMES)))]

    # Bios.
    for key, share in BIO_SHARE.items():
        idx = np.flatnonzero(kind == KIND_KEYS.index(key))
        has = idx[rng.random(idx.size) < share]
        if key == "head":
            texts = N.head_bios(rng, [P.HEAD_KIND_NAMES[k] or "kol" for k in pop.head_kind[has].tolist()])
        else:
            texts = N.genuine_bios(rng, has.size)
        for i, t in zip(has.tolist(), texts):
            bio[i] = t
    for f in range(farms.n):
        mem = farms.members[f]
        fk = int(farms.kind[f])
        pool = [N.FARM_BIOS[j] for j in rng.choice(len(N.FARM_BIOS), int(rng.integers(3, 7)), replace=False)]
        r = rng.random(mem.size)
        tpl = r < FARM_TEMPLATE_SHARE[fk]
        gen = (r >= FARM_TEMPLATE_SHARE[fk]) & (r < FARM_TEMPLATE_SHARE[fk] + FARM_GENUINE_BIO_SHARE[fk])
        for i, j in zip(mem[tpl].tolist(), rng.integers(0, len(pool), tpl.sum()).tolist()):
            bio[i] = pool[j]
        for i, t in zip(mem[gen].tolist(), N.genuine_bios(rng, int(gen.sum()))):
            bio[i] = t

    # Avatars.
    stock = A.random_hashes(rng, 300)
    avatar_kind = np.empty(n, np.int8)
    for k, key in enumerate(KIND_KEYS):
        idx = np.flatnonzero(kind == k)
        avatar_kind[idx] = rng.choice(4, idx.size, p=AVATAR_MIX[key])
    avatar = A.random_hashes(rng, n)
    st = avatar_kind == STOCK
    avatar[st] = stock[rng.integers(0, stock.size, st.sum())]
    df = avatar_kind == DEFAULT
    avatar[df] = A.DEFAULT_AVATARS[rng.choice(3, df.sum(), p=[0.7, 0.2, 0.1])]
    avatar[avatar_kind == NONE] = A.NO_AVATAR

    # Comebacks: disguised nickname, maybe the old bio and a near-duplicate avatar.
    tricks: list[list[str]] = []
    for j in range(cb.n):
        new, old = int(cb.new[j]), int(cb.banned[j])
        name, used = D.apply_name_tricks(nickname[old], cb.planned_tricks[j], rng)
        nickname[new] = name
        tricks.append(used)
        if cb.bio_copy[j] and bio[old]:
            bio[new] = bio[old] + (COMEBACK_BIO_TAILS[int(rng.integers(len(COMEBACK_BIO_TAILS)))] if rng.random() < 0.5 else "")
        reusable = avatar_kind[old] == CUSTOM
        mode = int(cb.avatar_mode[j]) if reusable else AVATAR_NEW
        cb.avatar_mode[j] = mode
        if mode == AVATAR_EXACT:
            avatar[new] = avatar[old]
            avatar_kind[new] = CUSTOM
        elif mode == AVATAR_NEAR:
            avatar[new] = A.flip_bits(rng, avatar[old : old + 1], 1, 5)[0]
            avatar_kind[new] = CUSTOM
    cb.tricks = tricks

    # Decoys.
    for a, r, k in zip(dec.account.tolist(), dec.resembles.tolist(), dec.kind.tolist()):
        if k == FAN_CLUB:
            nickname[a] = nickname[r] + N.FAN_CLUB_SUFFIXES[int(rng.integers(len(N.FAN_CLUB_SUFFIXES)))]
            bio[a] = FAN_CLUB_BIOS[int(rng.integers(len(FAN_CLUB_BIOS)))].format(n=nickname[r])
        elif k == COMMON_NAME:
            nickname[a] = nickname[r]
    return Profiles(nickname=nickname, bio=bio, avatar=avatar, avatar_kind=avatar_kind, stock=stock)
