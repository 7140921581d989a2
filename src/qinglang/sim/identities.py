"""Raw identity values: phones, devices, IPs, payment accounts, emails, ID documents.

Genuine users have their own phone, devices and home IPs, and often share a
carrier NAT IP with thousands of others; students share a campus NAT IP.
Farm members use virtual-operator phones (some recycled inside the farm),
a small pool of devices (emulators) and proxy IPs. Comebacks reuse some of the
banned account's values as planned (or none); shared-campus-IP decoys share
the banned account's campus IP and nothing else.

Values are drawn as integers per kind and formatted to strings at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from qinglang.sim import names as N
from qinglang.sim import population as P
from qinglang.sim.config import PLATFORM_START
from qinglang.sim.farms import Farms
from qinglang.sim.reincarnation import CAMPUS_IP, Comebacks, Decoys

KINDS = ("phone", "device", "ip", "payment", "id_document", "email")
PHONE, DEVICE, IP, PAYMENT, IDDOC, EMAIL = range(6)
# Formats (sub-kinds) of values.
F_PLAIN = 0
F_IP_HOME, F_IP_CARRIER, F_IP_CAMPUS, F_IP_PROXY = 0, 1, 2, 3
PHONE_PREFIX = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158,
                         159, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 198, 199])
VIRTUAL_PREFIX = np.array([170, 171, 162, 165, 167])
HOME_OCTET = np.array([36, 39, 42, 49, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119,
                       120, 121, 122, 123, 124, 125, 171, 175, 180, 182, 183, 202, 210, 211, 218, 219, 220, 221, 222])
CARRIER_OCTET = np.array([112, 117, 223, 111, 39])
CAMPUS_PREFIX = np.array([(202 << 8) | 112, (166 << 8) | 111, (202 << 8) | 120, (219 << 8) | 224, (59 << 8) | 66])
PROXY_OCTET = np.array([47, 120, 39, 8, 101])
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com", "outlook.com", "139.com"]
REGION_CODES = np.array([110101, 310104, 440106, 440305, 330106, 510107, 500103, 420106, 610113, 320102, 120101,
                         370202, 210102, 350203, 430104, 410105, 530102, 450103, 230103, 220102])


@dataclass
class Identities:
    account: np.ndarray  # int64
    kind: np.ndarray  # int8 KINDS
    value: np.ndarray  # int64 (meaning depends on kind and fmt)
    fmt: np.ndarray  # int8
    first_seen: np.ndarray  # int64
    last_seen: np.ndarray  # int64
    campus_ips: np.ndarray  # the campus NAT IPs (int), for truth

    @property
    def rows(self) -> int:
        return int(self.account.size)


class _Rows:
    def __init__(self):
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, acct, kind, value, fmt=F_PLAIN):
        acct = np.asarray(acct, np.int64)
        value = np.asarray(value, np.int64)
        self.parts.append((acct, np.full(acct.size, kind, np.int8), value,
                           np.broadcast_to(np.asarray(fmt, np.int8), acct.shape).copy()))

    def arrays(self):
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(4))


def _ip(first_octet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (first_octet.astype(np.int64) << 24) | rng.integers(1, 1 << 24, first_octet.size)


def build(pop: P.Population, farms: Farms, cb: Comebacks, dec: Decoys, rng: np.random.Generator) -> Identities:
    n = pop.n
    rows = _Rows()
    genuine = np.flatnonzero(pop.role != P.FAKE)
    g_role = pop.role[genuine]

    # Phones: most genuine users, some with a second (changed) number.
    has = genuine[rng.random(genuine.size) < np.where(g_role == P.DORMANT, 0.8, 0.95)]
    rows.add(has, PHONE, PHONE_PREFIX[rng.integers(0, PHONE_PREFIX.size, has.size)] * 10**8 + rng.integers(0, 10**8, has.size))
    two = has[rng.random(has.size) < 0.08]
    rows.add(two, PHONE, PHONE_PREFIX[rng.integers(0, PHONE_PREFIX.size, two.size)] * 10**8 + rng.integers(0, 10**8, two.size))
    # Devices: one to three each.
    nd = rng.choice([1, 2, 3], genuine.size, p=[0.55, 0.35, 0.10])
    acc = np.repeat(genuine, nd)
    rows.add(acc, DEVICE, rng.integers(1, np.iinfo(np.int64).max, acc.size), rng.integers(0, 3, acc.size))
    # Home IPs.
    ni = rng.choice([1, 2, 3], genuine.size, p=[0.5, 0.35, 0.15])
    acc = np.repeat(genuine, ni)
    rows.add(acc, IP, _ip(HOME_OCTET[rng.integers(0, HOME_OCTET.size, acc.size)], rng), F_IP_HOME)
    # Carrier NAT IPs, shared by many.
    carrier_pool = _ip(CARRIER_OCTET[rng.integers(0, CARRIER_OCTET.size, max(20, n // 300))], rng)
    acc = genuine[rng.random(genuine.size) < 0.3]
    rows.add(acc, IP, carrier_pool[rng.integers(0, carrier_pool.size, acc.size)], F_IP_CARRIER)
    # Campus NAT IPs, shared by students.
    n_campus = max(5, n // 25_000)
    campus_pool = (CAMPUS_PREFIX[rng.integers(0, CAMPUS_PREFIX.size, n_campus)].astype(np.int64) << 16) | rng.integers(
        256, 1 << 16, n_campus
    )
    students = genuine[((g_role == P.ACTIVE) | (g_role == P.CASUAL)) & (rng.random(genuine.size) < 0.05)]
    rows.add(students, IP, campus_pool[rng.integers(0, n_campus, students.size)], F_IP_CAMPUS)
    # Payment accounts and emails.
    p_pay = np.select([g_role == P.HEAD, g_role == P.ACTIVE, g_role == P.CASUAL], [0.6, 0.4, 0.25], 0.1)
    acc = genuine[rng.random(genuine.size) < p_pay]
    rows.add(acc, PAYMENT, rng.integers(10**11, 10**12, acc.size), rng.integers(0, 2, acc.size))
    acc = genuine[rng.random(genuine.size) < 0.4]
    rows.add(acc, EMAIL, rng.integers(10**5, 10**10, acc.size), rng.integers(0, len(EMAIL_DOMAINS), acc.size))
    # Real-name ID documents of verified accounts.
    acc = np.flatnonzero(pop.verified & (pop.role != P.FAKE))
    rows.add(acc, IDDOC, _id_numbers(rng, acc.size))

    # Farms: virtual phones (some recycled), emulator devices and proxy IPs from small pools.
    for f in range(farms.n):
        mem = farms.members[f]
        phones = VIRTUAL_PREFIX[rng.integers(0, VIRTUAL_PREFIX.size, mem.size)] * 10**8 + rng.integers(0, 10**8, mem.size)
        recycled = rng.random(mem.size) < 0.2
        phones[recycled] = phones[rng.integers(0, mem.size, recycled.sum())]
        rows.add(mem, PHONE, phones)
        dev_pool = rng.integers(1, np.iinfo(np.int64).max, max(3, mem.size // 15))
        k = rng.choice([1, 2], mem.size, p=[0.7, 0.3])
        acc = np.repeat(mem, k)
        rows.add(acc, DEVICE, dev_pool[rng.integers(0, dev_pool.size, acc.size)], 0)
        block = (int(PROXY_OCTET[rng.integers(PROXY_OCTET.size)]) << 24) | (int(rng.integers(0, 1 << 16)) << 8)
        ip_pool = block | rng.integers(1, 255, max(3, mem.size // 20))
        k = rng.choice([1, 2, 3], mem.size, p=[0.5, 0.3, 0.2])
        acc = np.repeat(mem, k)
        rows.add(acc, IP, ip_pool[rng.integers(0, ip_pool.size, acc.size)], F_IP_PROXY)
        em = mem[rng.random(mem.size) < 0.3]
        rows.add(em, EMAIL, rng.integers(10**5, 10**10, em.size), rng.integers(0, len(EMAIL_DOMAINS), em.size))

    account, kind, value, fmt = rows.arrays()

    # Comebacks reuse planned kinds of the banned account's values; decoys share a campus IP.
    extra = _Rows()
    order = np.argsort(account, kind="stable")
    sa = account[order]
    for j in range(cb.n):
        new, old = int(cb.new[j]), int(cb.banned[j])
        a, b = np.searchsorted(sa, old, "left"), np.searchsorted(sa, old, "right")
        rows_old = order[a:b]
        for kname in cb.share_kinds[j]:
            kc = KINDS.index(kname)
            mine = rows_old[kind[rows_old] == kc]
            if kc == IP:
                mine = mine[fmt[mine] == F_IP_HOME]
            if mine.size == 0:
                # The banned account had none of this kind: invent one it did have, then reuse it.
                v, ft = _one_value(kc, rng)
                extra.add([old], kc, [v], ft)
                extra.add([new], kc, [v], ft)
            else:
                r = int(mine[rng.integers(mine.size)])
                extra.add([new], kc, [value[r]], fmt[r])
    for a_, r_, k_ in zip(dec.account.tolist(), dec.resembles.tolist(), dec.kind.tolist()):
        if k_ != CAMPUS_IP:
            continue
        a, b = np.searchsorted(sa, r_, "left"), np.searchsorted(sa, r_, "right")
        rows_old = order[a:b]
        mine = rows_old[(kind[rows_old] == IP) & (fmt[rows_old] == F_IP_CAMPUS)]
        if mine.size:
            v = int(value[int(mine[0])])
        else:
            v = int(campus_pool[rng.integers(n_campus)])
            extra.add([r_], IP, [v], F_IP_CAMPUS)
        extra.add([a_], IP, [v], F_IP_CAMPUS)
    if extra.parts:
        ea, ek, ev, ef = extra.arrays()
        account = np.concatenate([account, ea])
        kind = np.concatenate([kind, ek])
        value = np.concatenate([value, ev])
        fmt = np.concatenate([fmt, ef])

    # One row per (account, kind, value).
    o = np.lexsort((fmt, value, kind, account))
    account, kind, value, fmt = account[o], kind[o], value[o], fmt[o]
    keep = np.ones(account.size, bool)
    keep[1:] = (account[1:] != account[:-1]) | (kind[1:] != kind[:-1]) | (value[1:] != value[:-1])
    account, kind, value, fmt = account[keep], kind[keep], value[keep], fmt[keep]

    # What each comeback really shares with its banned account (the truth reports the data, not
    # the plan); comebacks planned to share nothing lose values they share by chance (e.g. a
    # carrier NAT IP), so that "shares no identity" holds exactly.
    drop = np.zeros(account.size, bool)
    actual: list[list[str]] = []
    for j in range(cb.n):
        new, old = int(cb.new[j]), int(cb.banned[j])
        a0, a1 = np.searchsorted(account, new, "left"), np.searchsorted(account, new, "right")
        b0, b1 = np.searchsorted(account, old, "left"), np.searchsorted(account, old, "right")
        old_vals = set(zip(kind[b0:b1].tolist(), value[b0:b1].tolist()))
        common = [i for i in range(a0, a1) if (int(kind[i]), int(value[i])) in old_vals]
        if not cb.share_kinds[j]:
            drop[common] = True
            actual.append([])
        else:
            kinds_found = {int(kind[i]) for i in common}
            actual.append([KINDS[k] for k in sorted(kinds_found)])
    cb.shared = actual
    account, kind, value, fmt = account[~drop], kind[~drop], value[~drop], fmt[~drop]

    lo = pop.created[account]
    hi = np.maximum(np.minimum(pop.last_active[account], pop.end[account]), lo + 60)
    first = lo + (rng.random(account.size) ** 3 * (hi - lo)).astype(np.int64)
    last = first + (rng.random(account.size) ** 0.3 * (hi - first)).astype(np.int64)
    first = np.maximum(first, PLATFORM_START)
    return Identities(account, kind, value, fmt, first, last, campus_pool)


def _one_value(kind: int, rng: np.random.Generator) -> tuple[int, int]:
    if kind == PHONE:
        return int(PHONE_PREFIX[rng.integers(PHONE_PREFIX.size)]) * 10**8 + int(rng.integers(0, 10**8)), F_PLAIN
    if kind == DEVICE:
        return int(rng.integers(1, np.iinfo(np.int64).max)), int(rng.integers(0, 3))
    if kind == IP:
        return int(_ip(HOME_OCTET[rng.integers(0, HOME_OCTET.size, 1)], rng)[0]), F_IP_HOME
    if kind == PAYMENT:
        return int(rng.integers(10**11, 10**12)), int(rng.integers(0, 2))
    if kind == EMAIL:
        return int(rng.integers(10**5, 10**10)), int(rng.integers(0, len(EMAIL_DOMAINS)))
    return int(_id_numbers(rng, 1)[0]), F_PLAIN


def _id_numbers(rng: np.random.Generator, k: int) -> np.ndarray:
    """17-digit bodies of resident ID numbers (region, birth date, sequence); the check digit is added when formatted."""
    region = REGION_CODES[rng.integers(0, REGION_CODES.size, k)].astype(np.int64)
    y = rng.integers(1960, 2006, k)
    m = rng.integers(1, 13, k)
    d = rng.integers(1, 29, k)
    seq = rng.integers(0, 1000, k)
    return ((region * 10**8 + y * 10**4 + m * 100 + d) * 1000 + seq).astype(np.int64)


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def _id_string(body: int) -> str:
    s = f"{body:017d}"
    return s + _ID_CHECK[sum(int(c) * w for c, w in zip(s, _ID_WEIGHTS)) % 11]


def _email(v: int, dom: int) -> str:
    if EMAIL_DOMAINS[dom] == "qq.com":
        return f"{v}@qq.com"
    a = N.PINYIN_SYLL[v % len(N.PINYIN_SYLL)]
    b = N.PINYIN_SYLL[(v // 97) % len(N.PINYIN_SYLL)]
    return f"{a}{b}{v}@{EMAIL_DOMAINS[dom]}"


def _device(v: int, f: int) -> str:
    if f == 0:
        return f"android-{v:016x}"
    if f == 1:
        h = f"{v:016x}{(v * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF:016x}".upper()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return f"86{v % 10**13:013d}"


def format_values(ids: Identities) -> pa.Array:
    """Raw identity strings, as a platform would export them."""
    out: list[str] = [""] * ids.rows
    kinds = ids.kind
    for kc in range(len(KINDS)):
        idx = np.flatnonzero(kinds == kc)
        vals = ids.value[idx].tolist()
        fm = ids.fmt[idx].tolist()
        if kc == PHONE:
            strs = [str(v) for v in vals]
        elif kc == DEVICE:
            strs = [_device(v, f) for v, f in zip(vals, fm)]
        elif kc == IP:
            strs = [f"{(v >> 24) & 255}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}" for v in vals]
        elif kc == PAYMENT:
            strs = [(f"alipay:2088{v:012d}" if f == 0 else f"wxpay:o{v:012d}") for v, f in zip(vals, fm)]
        elif kc == EMAIL:
            strs = [_email(v, f) for v, f in zip(vals, fm)]
        else:
            strs = [_id_string(v) for v in vals]
        for i, s in zip(idx.tolist(), strs):
            out[i] = s
    return pa.array(out, pa.string())
