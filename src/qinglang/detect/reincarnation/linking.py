"""Batch linking of new accounts to banned accounts (pure: Arrow/NumPy in, predictions out).

    tables = AccountTables(accounts, bans, identities, follower_rows, followee_rows)
    result = link_accounts(tables, options)

1. The banned set: per account its latest close or suspension (`banned_set`), with the
   re-registration ban window [banned_at, ban_until).
2. New accounts: every account registered after the earliest ban (minus
   `created_before_ban_days`); a pair is only formed when the new account registered
   after that banned account's ban.
3. Candidates (blocking) from five sources, so work grows with candidates, not
   accounts x banned: nickname keys (normalised name, pronunciation, near-homophones,
   one-substitution neighbourhood, initials), avatar-hash bands (pigeonhole over 16-bit
   bands, then Hamming <= N), shared identity values (rare ones), common followers
   (numba walk over the follow graph, hub followers ignored) and bio prefixes.
4. The Fellegi–Sunter model (config.COMPARISONS) with u from random eligible pairs and m by
   EM, one session per candidate source (the source's own comparison sits out).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.features import (ID_KINDS, STRONG_KINDS, FollowGraph, IdentitySets, avatar_parts,
                                                    encode_together, join_keys, masked_keys, profile_columns)
from qinglang.linkage.blocking import Candidates, RulePairs, combine
from qinglang.linkage.levels import hamming_rows, register_function
from qinglang.linkage.linker import Linker, Predictions
from qinglang.linkage.model import FSModel
from qinglang.linkage.records import Records
from qinglang.linkage.settings import BlockingRule, LinkageSettings
from qinglang.text.nickname import shape_equal

DAY = 86_400.0
_STRONG_BITS = [ID_KINDS.index(k) for k in STRONG_KINDS]
_BIT = {k: ID_KINDS.index(k) for k in ID_KINDS}


# --- inputs --------------------------------------------------------------------------------
@dataclass
class AccountTables:
    """What linking reads: accounts, enforcement-like ban rows, identities, follows (as account rows)."""

    accounts: pa.Table  # account_id, nickname, created_at (timestamp), bio?, avatar_hash?
    bans: pa.Table  # account_id, action, category, decided_at, until (enforcements + qinglang's own sanctions)
    identities: pa.Table | None = None  # account_id, kind, value (hashed)
    follower_rows: np.ndarray | None = None  # int64 rows into accounts
    followee_rows: np.ndarray | None = None
    declared_ids: pa.Array | None = None  # accounts whose posts say they are a comeback (config.DECLARED_PATTERN)


def epoch_seconds(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Timestamps -> float64 epoch seconds (NaN for null)."""
    if pa.types.is_timestamp(col.type):
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[col.type.unit]
        s = pc.cast(col, pa.int64())
        out = s.to_numpy(zero_copy_only=False).astype(np.float64) / scale
    else:
        out = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    out[np.asarray(pc.is_null(col).to_numpy(zero_copy_only=False), dtype=bool)] = np.nan
    return out


def banned_set(bans: pa.Table) -> pa.Table:
    """Per account: its latest close or suspension (account_id, action, category, banned_at, ban_until).

    A close without `until` bans re-registration for good; a suspension bans while it runs.
    Warnings and restrictions do not ban.
    """
    if bans.num_rows == 0:
        return pa.table({"account_id": pa.array([], pa.string()), "action": pa.array([], pa.string()),
                         "category": pa.array([], pa.string()), "banned_at": pa.array([], pa.float64()),
                         "ban_until": pa.array([], pa.float64())})
    t = bans.filter(pc.is_in(bans["action"], pa.array(["close", "suspend"])))
    decided = epoch_seconds(t["decided_at"])
    until = epoch_seconds(t["until"]) if "until" in t.column_names else np.full(t.num_rows, np.nan)
    ids = t["account_id"].to_numpy(zero_copy_only=False)
    action = t["action"].to_numpy(zero_copy_only=False)
    cat = t["category"].to_numpy(zero_copy_only=False)
    # latest decision per account; a close outranks a suspension decided at the same time
    rank = np.where(action == "close", 1, 0)
    order = np.lexsort((rank, decided, ids))
    last = np.r_[ids[order][1:] != ids[order][:-1], True] if len(order) else np.zeros(0, bool)
    pick = order[last]
    return pa.table({
        "account_id": pa.array(ids[pick], pa.string()),
        "action": pa.array(action[pick], pa.string()),
        "category": pa.array(cat[pick], pa.string()),
        "banned_at": pa.array(decided[pick], pa.float64()),
        "ban_until": pa.array(until[pick], pa.float64()),
    })


# --- custom comparison levels ---------------------------------------------------------------
def _codes_values(f, col, sel):
    lc = f.codes.get(col)[0][f.i[sel]]
    rc = f.codes.get(col)[1][f.j[sel]]
    return lc, rc, f.codes.values(col)


@register_function("fan_derivative")
def _fan_derivative(f, sel, params):
    """One side carries a fan-club marker and its name contains the other's name."""
    lf = f.l("n_fan", sel) > 0.5
    rf = f.r("n_fan", sel) > 0.5
    cand = np.flatnonzero(lf != rf)
    out = np.zeros(len(sel), dtype=bool)
    if len(cand) == 0:
        return out
    for col in ("n_core", "n_base"):
        lc, rc, vals = _codes_values(f, col, sel[cand])
        for k, (a, b, lm) in enumerate(zip(lc, rc, lf[cand])):
            if a < 0 or b < 0 or out[cand[k]]:
                continue
            x, y = vals[a], vals[b]
            fan, other = (x, y) if lm else (y, x)
            if len(other) >= 2 and other in fan:
                out[cand[k]] = True
    return out


def _combos(f, col, sel):
    """Distinct (left value, right value) combinations of a column over pairs `sel` (both present, differing)."""
    lc, rc, vals = _codes_values(f, col, sel)
    ok = (lc >= 0) & (rc >= 0) & (lc != rc)
    base = np.int64(len(vals) + 1)
    uniq, inv = np.unique(lc[ok] * base + rc[ok], return_inverse=True)
    return ok, inv, vals[uniq // base], vals[uniq % base]


@register_function("shape_twin")
def _shape_twin(f, sel, params):
    """Same length, and every differing character (at most two) a look-alike of the other."""
    from rapidfuzz import process
    from rapidfuzz.distance import Hamming

    out = np.zeros(len(sel), dtype=bool)
    ok, inv, a, b = _combos(f, params.get("column", "n_core"), sel)
    if not len(a):
        return out
    la = np.fromiter(map(len, a), dtype=np.int64, count=len(a))
    lb = np.fromiter(map(len, b), dtype=np.int64, count=len(b))
    ham = process.cpdist(a, b, scorer=Hamming.distance, scorer_kwargs={"pad": True},
                         workers=-1 if len(a) > 20_000 else 1)
    maybe = np.flatnonzero((la == lb) & (ham <= 2) & (la >= 2))
    res = np.zeros(len(a), dtype=bool)
    for k in maybe.tolist():  # only the few near-identical ones need the shape table
        res[k] = shape_equal(a[k], b[k])
    out[ok] = res[inv]
    return out


@register_function("contains")
def _contains(f, sel, params):
    """The shorter folded name (>= min_len characters) appears inside the longer one."""
    from rapidfuzz import fuzz, process

    out = np.zeros(len(sel), dtype=bool)
    ok, inv, a, b = _combos(f, params.get("column", "n_core"), sel)
    if not len(a):
        return out
    short = np.minimum(np.fromiter(map(len, a), dtype=np.int64, count=len(a)),
                       np.fromiter(map(len, b), dtype=np.int64, count=len(b)))
    # partial_ratio is 100 exactly when the shorter string occurs inside the longer one
    pr = process.cpdist(a, b, scorer=fuzz.partial_ratio, workers=-1 if len(a) > 20_000 else 1)
    res = (pr >= 100.0) & (short >= int(params.get("min_len", 2)))
    out[ok] = res[inv]
    return out


@register_function("initials_of")
def _initials_of(f, sel, params):
    """A name written as the initials (WXM) of the other's pronunciation (王小明)."""
    codes = f.codes.group(["n_base", "n_initials"])
    lb, li = codes["n_base"][0][f.i[sel]], codes["n_initials"][0][f.i[sel]]
    rb, ri = codes["n_base"][1][f.j[sel]], codes["n_initials"][1][f.j[sel]]
    lonly = f.l("n_initials_only", sel) > 0.5
    ronly = f.r("n_initials_only", sel) > 0.5
    pure = ((lonly & (lb == ri) & (lb >= 0)) | (ronly & (rb == li) & (rb >= 0))) & ~(lonly & ronly)
    # partly abbreviated (阿xmmzls for 阿小猫咪在路上): the same initials, three or more, letters on one side
    lat = (f.l("n_has_latin", sel) > 0.5) ^ (f.r("n_has_latin", sel) > 0.5)
    long_enough = np.fromiter((len(v) >= 3 if v else False for v in f.l("n_initials", sel)), dtype=bool, count=len(sel))
    mixed = lat & (li == ri) & (li >= 0) & long_enough
    return pure | mixed


@register_function("fans_at_least")
def _fans_at_least(f, sel, params):
    """At least `count` common followers, `share` of the banned account's followers and `purity` of the
    new account's followers (a popular account followed by everyone is no comeback)."""
    share = f.pair_col("fan_share", sel)
    count = f.pair_col("fan_common", sel)
    purity = f.pair_col("fan_purity", sel)
    with np.errstate(invalid="ignore"):
        return ((share >= float(params.get("share", 0.0))) & (count >= float(params.get("count", 1)))
                & (purity >= float(params.get("purity", 0.0))))


# --- linking -------------------------------------------------------------------------------
@dataclass
class LinkResult:
    predictions: Predictions
    linker: Linker
    new_ids: np.ndarray  # account ids of the left records
    banned: pa.Table  # the banned set (right records, same order)
    new_created: np.ndarray
    details: dict[str, np.ndarray] = field(default_factory=dict)  # per prediction: avatar bits, shared kinds...
    stats: dict[str, Any] = field(default_factory=dict)
    profiles: pa.Table | None = None  # profile columns of `profile_rows` (rows into the accounts table)
    profile_rows: np.ndarray | None = None
    banned_rows: np.ndarray | None = None  # rows of the banned accounts (right records) in the accounts table
    ids: IdentitySets | None = None


class AccountPairs:
    """Pair features of (new, banned) pairs: shared identities, common followers, timing."""

    def __init__(self, new_rows: np.ndarray, banned_rows: np.ndarray, new_created: np.ndarray,
                 banned_at: np.ndarray, ids: IdentitySets | None, graph: FollowGraph | None,
                 declared: np.ndarray | None = None):
        self.new_rows, self.banned_rows = new_rows, banned_rows
        self.declared = declared  # bool per new account (left record)
        self.new_created, self.banned_at = new_created, banned_at
        self.ids, self.graph = ids, graph
        self.banned_fans = graph.effective_fans(banned_rows).astype(np.float64) if graph is not None else None
        self._memo: dict[tuple, dict[str, np.ndarray]] = {}

    def __call__(self, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
        # the linker asks for the same chunks of candidates more than once (comparisons, term
        # frequencies, evidence): remember the last few by where their arrays live
        key = (i.__array_interface__["data"][0], j.__array_interface__["data"][0], len(i))
        got = self._memo.get(key)
        if got is not None:
            return got[2]
        out = self._compute(i, j)
        if len(self._memo) >= 8:
            self._memo.pop(next(iter(self._memo)))
        self._memo[key] = (i, j, out)  # holding i and j keeps their memory from being reused meanwhile
        return out

    def _compute(self, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
        n = len(i)
        gi, gj = self.new_rows[i], self.banned_rows[j]
        out: dict[str, np.ndarray] = {}
        if self.ids is not None:
            kinds, minf = self.ids.shared(gi, gj)
            out.update(identity_features(kinds, minf, self.ids.n_accounts,
                                         self.ids.has_any[gi] & self.ids.has_any[gj]))
        else:
            out["id_level"] = out["id_tf"] = out["id_kinds"] = np.full(n, np.nan)
        if self.graph is not None:
            out.update(fan_features(self.graph.common_fans(gi, gj).astype(np.float64), self.banned_fans[j],
                                    self.graph.n_fans[gi].astype(np.float64)))
        else:
            out["fan_share"] = out["fan_common"] = out["fan_purity"] = np.full(n, np.nan)
        with np.errstate(invalid="ignore"):
            days = (self.new_created[i] - self.banned_at[j]) / DAY
        out["days_after_ban"] = days
        out["declared"] = (self.declared[i].astype(np.float64) if self.declared is not None
                           else np.zeros(n, dtype=np.float64))
        return out


def identity_features(kinds: np.ndarray, minf: np.ndarray, n_accounts: int, both_have: np.ndarray
                      ) -> dict[str, np.ndarray]:
    """Pair features of shared identities from the kinds shared (bits) and each kind's rarest shared value's
    frequency; `both_have`: both accounts have some identity (else the comparison is null)."""
    # the u of a shared value: other accounts holding it, besides these two (a value only they
    # hold is a coincidence only as often as a recycled number or a shared handset)
    minf = np.maximum(minf - 2.0 / max(n_accounts, 1), 0.0)
    level, tf = identity_level(kinds, minf)
    level = level.astype(np.float64)
    level[~both_have] = np.nan
    return {"id_level": level, "id_tf": tf, "id_kinds": kinds.astype(np.float64)}


def fan_features(common: np.ndarray, banned_fans: np.ndarray, own_fans: np.ndarray) -> dict[str, np.ndarray]:
    """Pair features of common followers (hubs not counted): share of the banned account's (non-hub) followers,
    their number, and share of the new account's own followers; null where the banned account has none."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(banned_fans > 0, common / np.maximum(banned_fans, 1), np.nan)
        purity = np.where(own_fans > 0, common / np.maximum(own_fans, 1), 0.0)
    return {"fan_share": share, "fan_common": np.where(banned_fans > 0, common, np.nan),
            "fan_purity": np.where(banned_fans > 0, purity, np.nan)}


def identity_level(kinds: np.ndarray, minf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Identity comparison level (6 = two+ strong kinds ... 1 = IP only, 0 = none) and the u of the
    shared value (its frequency: the rarest shared strong value, or the IP's)."""
    strong = np.zeros(len(kinds), dtype=np.int64)
    for b in _STRONG_BITS:
        strong += (kinds >> b) & 1
    has = lambda k: ((kinds >> _BIT[k]) & 1).astype(bool)  # noqa: E731
    level = np.zeros(len(kinds), dtype=np.int64)
    level[has("ip")] = 1
    level[has("email")] = 2
    level[has("device")] = 3
    level[has("phone")] = 4
    level[has("payment") | has("id_document")] = 5
    level[strong >= 2] = 6
    strong_min = minf[:, _STRONG_BITS].min(axis=1)
    tf = np.where(level >= 2, strong_min, np.where(level == 1, minf[:, _BIT["ip"]], np.nan))
    return level, tf


def pair_sampler(n_new: int, n_banned: int, eligible):
    """Random eligible pairs for u: uniform (new, banned) draws, kept where `eligible(i, j)` (registered after
    that ban, not the same account)."""
    def sampler(rng: np.random.Generator, n: int):
        out_i, out_j, got = [], [], 0
        for _ in range(50):
            i = rng.integers(0, n_new, 2 * n)
            j = rng.integers(0, n_banned, 2 * n)
            ok = eligible(i, j)
            out_i.append(i[ok])
            out_j.append(j[ok])
            got += int(ok.sum())
            if got >= n:
                break
        return np.concatenate(out_i)[:n], np.concatenate(out_j)[:n]
    return sampler


def declared_accounts(acc: pa.Table, rows: np.ndarray, post_ids: pa.Array | None, pattern: str) -> np.ndarray:
    """Per row: does the account present itself as a comeback (its nickname or bio matches, or a post did)?

    A nickname such as 王小明新号 / 王小明的小号 announces the comeback as plainly as a bio does.
    """
    out = np.zeros(len(rows), dtype=bool)
    for col in ("nickname", "bio"):
        if col in acc.column_names and pattern:
            text = acc[col].take(pa.array(rows))
            out |= np.asarray(pc.match_substring_regex(text, pattern, ignore_case=True).fill_null(False)
                              .to_numpy(zero_copy_only=False), dtype=bool)
    if post_ids is not None and len(post_ids):
        out |= np.asarray(pc.is_in(acc["account_id"].take(pa.array(rows)), value_set=pa.array(post_ids, pa.string()))
                          .to_numpy(zero_copy_only=False), dtype=bool)
    return out


def _rule(name: str, columns: list[str]) -> BlockingRule:
    return BlockingRule(keys=(name,), name=name, columns=tuple(columns))


#: The key joins of the nickname rule ("nickname keys"), then the bio rule's ("bio opening"), by name.
NAME_KEY_GROUPS = ("kept", "core", "pinyin", "pinyin~hanzi", "hanzi~pinyin", "fuzzy", "masked", "initials",
                   "mixed initials")
BIO_KEY_GROUP = "bio"
_NAME_COLUMNS = {"kept": ("n_kept", "n_kept"), "core": ("n_core", "n_core"), "pinyin": ("n_pinyin", "n_pinyin"),
                 "pinyin~hanzi": ("n_pinyin", "n_pinyin_hanzi"), "hanzi~pinyin": ("n_pinyin_hanzi", "n_pinyin"),
                 "fuzzy": ("n_fuzzy", "n_fuzzy")}


def _present(keys: pa.Array, rows: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array]:
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    ok = pc.is_valid(keys).to_numpy(zero_copy_only=False)
    rows = np.arange(len(keys), dtype=np.int64) if rows is None else rows
    return rows[ok], keys.filter(pa.array(ok))


def side_keys(rec: Records, side: str) -> list[tuple[str, np.ndarray, pa.Array]]:
    """Blocking keys of one side's records (side 'l': new accounts, 'r': banned): per key group, the rows that
    have a key and their keys. A left key meets right keys of its own group (`join_keys`)."""
    out = []
    for g, (lcol, rcol) in _NAME_COLUMNS.items():
        col = lcol if side == "l" else rcol
        keys = rec.arrow(col)
        if side == "l" and lcol in ("n_pinyin", "n_fuzzy", "n_pinyin_hanzi"):
            # very short pronunciations ('li', 'wang') would join half the platform
            short = pc.less(pc.utf8_length(keys).fill_null(0), 4)
            keys = pc.if_else(short, pa.scalar(None, pa.string()), keys)
        out.append((g, *_present(keys)))
    # one-substitution neighbourhood of the folded name
    masked = [(r, k) for r, c in enumerate(rec.arrow("n_core").to_pylist()) for k in masked_keys(c)]
    out.append(("masked", np.array([r for r, _ in masked], np.int64), pa.array([k for _, k in masked], pa.string())))
    if side == "l":
        # initials: a short all-letter name against the initials of the other
        only = rec.arrow("n_initials_only").fill_null(False).to_numpy(zero_copy_only=False)
        out.append(("initials", *_present(pc.if_else(pa.array(only), rec.arrow("n_base"),
                                                      pa.scalar(None, pa.string())))))
        # names partly in letters against the initials of the other
        mix = rec.arrow("n_has_latin").fill_null(False).to_numpy(zero_copy_only=False) & ~only
        init = rec.arrow("n_initials")
        long3 = pc.greater_equal(pc.utf8_length(init), 3).fill_null(False).to_numpy(zero_copy_only=False)
        out.append(("mixed initials", *_present(pc.if_else(pa.array(mix & long3), init,
                                                            pa.scalar(None, pa.string())))))
    else:
        out.append(("initials", *_present(rec.arrow("n_initials"))))
        out.append(("mixed initials", *_present(rec.arrow("n_initials"))))
    # bios: same opening (a copied bio, perhaps with '新号' added)
    bio = pc.utf8_slice_codeunits(rec.arrow("bio_norm"), 0, 12)
    out.append((BIO_KEY_GROUP, *_present(pc.if_else(pc.greater_equal(pc.utf8_length(bio), 6), bio,
                                                      pa.scalar(None, pa.string())))))
    return out


def avatar_band_keys(av: np.ndarray, valid: np.ndarray, parts: list[int]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Avatar blocking keys: per (part, 16-bit band) group, the valid rows and their band values (64-bit pHash:
    four bands; PDQ: sixteen). Rows sharing a band are then kept within `avatar_block_bits` Hamming bits."""
    rows = np.flatnonzero(valid).astype(np.int64)
    out = []
    for part in parts:
        for band in range(4):
            shift = np.uint64(16 * band)
            out.append((part * 4 + band, rows, ((av[rows, part] >> shift) & np.uint64(0xFFFF)).astype(np.int64)))
    return out


def avatar_parts_used(av: np.ndarray) -> list[int]:
    """Parts of the (n, 4) avatar hashes that any record fills (a 64-bit pHash fills part 0 only)."""
    return [p for p in range(4) if (av[:, p] != 0).any()]


def candidate_pairs(left: Records, right: Records, new_rows: np.ndarray, banned_rows: np.ndarray,
                    new_created: np.ndarray, banned_at: np.ndarray, ids: IdentitySets | None,
                    graph: FollowGraph | None, opts: dict[str, Any]) -> Candidates:
    """Candidate (new, banned) pairs from names, avatars, identities, followers and bios."""
    slack = float(opts["created_before_ban_days"]) * DAY
    cap = int(opts["max_pairs_per_key"])
    per_rule: list[RulePairs] = []
    nl, nr = left.n, right.n
    li, rj = np.arange(nl, dtype=np.int64), np.arange(nr, dtype=np.int64)

    def keep_time(i, j):
        ok = new_created[i] >= banned_at[j] - slack
        return i[ok], j[ok]

    # 1. nickname keys (and, below, 5. bio openings)
    lkeys = {g: (r, k) for g, r, k in side_keys(left, "l")}
    rkeys = {g: (r, k) for g, r, k in side_keys(right, "r")}

    def key_join(g):
        lk, rk = encode_together(lkeys[g][1], rkeys[g][1])
        return join_keys(lk, lkeys[g][0], rk, rkeys[g][0], cap)

    parts_i, parts_j, hot = [], [], 0
    for g in NAME_KEY_GROUPS:
        i, j, h = key_join(g)
        hot += h
        parts_i.append(i)
        parts_j.append(j)
    i, j = keep_time(np.concatenate(parts_i), np.concatenate(parts_j))
    per_rule.append(RulePairs(_rule("nickname keys", ["n_clean"]), i, j, hot, 0))

    # 2. avatar bands
    lav, rav = avatar_parts(left.arrow("avatar")), avatar_parts(right.arrow("avatar"))
    lk_full, rk_full = encode_together(left.arrow("avatar"), right.arrow("avatar"))
    counts = np.bincount(np.r_[lk_full[lk_full >= 0], rk_full[rk_full >= 0]], minlength=1) if (
        (lk_full >= 0).any() or (rk_full >= 0).any()) else np.zeros(1, np.int64)
    lhot = np.where(lk_full >= 0, counts[np.maximum(lk_full, 0)], 0) > int(opts["max_accounts_per_avatar"])
    rhot = np.where(rk_full >= 0, counts[np.maximum(rk_full, 0)], 0) > int(opts["max_accounts_per_avatar"])
    parts = avatar_parts_used(lav)
    if parts:
        ai, aj = [], []
        rbands = {g: (r, k) for g, r, k in avatar_band_keys(rav, (rav != 0).any(axis=1) & ~rhot, parts)}
        for g, lr, lk in avatar_band_keys(lav, (lav != 0).any(axis=1) & ~lhot, parts):
            i, j, _ = join_keys(lk, lr, rbands[g][1], rbands[g][0], 10 ** 9)
            i, j = keep_time(i, j)
            close = hamming_rows(lav[i], rav[j]) <= int(opts["avatar_block_bits"])
            ai.append(i[close])
            aj.append(j[close])
        k = np.unique(np.concatenate(ai) * nr + np.concatenate(aj))
        per_rule.append(RulePairs(_rule("avatar bands", ["avatar"]), k // nr, k % nr))

    # 3. shared identity values (each held by few accounts)
    if ids is not None:
        maxacc = int(opts["max_accounts_per_identity"])
        csr = ids.csr
        rows_of = np.repeat(np.arange(ids.n_accounts, dtype=np.int64), csr.sizes())
        vals = csr.values
        rare = ids.accounts_per_value[vals] <= maxacc
        pos_new = np.full(ids.n_accounts, -1, np.int64)
        pos_new[new_rows] = li
        pos_ban = np.full(ids.n_accounts, -1, np.int64)
        pos_ban[banned_rows] = rj
        lsel = rare & (pos_new[rows_of] >= 0)
        rsel = rare & (pos_ban[rows_of] >= 0)
        i, j, _ = join_keys(vals[lsel], pos_new[rows_of[lsel]], vals[rsel], pos_ban[rows_of[rsel]], 10 ** 9)
        i, j = keep_time(i, j)
        k = np.unique(i * nr + j)
        per_rule.append(RulePairs(_rule("shared identities", ["id_level"]), k // nr, k % nr))

    # 4. common followers
    if graph is not None:
        ok_new = np.zeros(graph.n, dtype=bool)
        ok_new[new_rows] = True
        gi, bj, common = graph.co_follow_candidates(banned_rows, ok_new, int(opts["min_common_fans"]))
        # a popular account followed by everyone shares fans with every banned account: keep pairs where the
        # common followers are a visible share of the banned account's fans or of the new account's own
        share = common / np.maximum(graph.effective_fans(banned_rows)[bj], 1)
        purity = common / np.maximum(graph.n_fans[gi], 1)
        strong = (share >= float(opts["min_fan_share"])) | (purity >= float(opts["min_fan_purity"]))
        gi, bj = gi[strong], bj[strong]
        pos_new = np.full(graph.n, -1, np.int64)
        pos_new[new_rows] = li
        i = pos_new[gi]
        keep = i >= 0
        i, j = keep_time(i[keep], bj[keep])
        per_rule.append(RulePairs(_rule("common followers", ["fan_share"]), i, j))

    # 5. bios: same opening (a copied bio, perhaps with '新号' added)
    i, j, h = key_join(BIO_KEY_GROUP)
    i, j = keep_time(i, j)
    per_rule.append(RulePairs(_rule("bio opening", ["bio_norm"]), i, j, h, 0))

    cands = combine(per_rule, nr)
    cands = _drop_self(cands, new_rows, banned_rows)
    return cands


def _drop_self(c: Candidates, new_rows: np.ndarray, banned_rows: np.ndarray) -> Candidates:
    keep = new_rows[c.i] != banned_rows[c.j]
    if keep.all():
        return c
    per = []
    for rp in c.per_rule:
        k = new_rows[rp.i] != banned_rows[rp.j]
        per.append(RulePairs(rp.rule, rp.i[k], rp.j[k], rp.skipped_keys, rp.skipped_pairs))
    return Candidates(c.i[keep], c.j[keep], c.rule[keep], per, c.n_right)


def link_accounts(tables: AccountTables, overrides: dict[str, Any] | None = None, *, model: FSModel | None = None,
                  fit: bool = True, progress=None, profile_all: bool = False) -> LinkResult | None:
    """Link new accounts to banned accounts; None when nothing is banned."""
    opts = C.options(overrides)
    t0 = time.perf_counter()
    acc = tables.accounts
    banned = banned_set(tables.bans)
    banned_idx = pc.index_in(banned["account_id"], value_set=acc["account_id"]).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    known = banned_idx >= 0
    banned = banned.filter(pa.array(known))
    banned_rows = banned_idx[known]
    if banned.num_rows == 0:
        return None
    created = epoch_seconds(acc["created_at"])
    banned_at = banned["banned_at"].to_numpy(zero_copy_only=False)
    slack = float(opts["created_before_ban_days"]) * DAY
    new_rows = np.flatnonzero(created >= np.nanmin(banned_at) - slack).astype(np.int64)
    if len(new_rows) == 0:
        return None
    if progress:
        progress("reincarnation: nickname keys", 0, 4)
    need = (np.arange(acc.num_rows, dtype=np.int64) if profile_all
            else np.unique(np.concatenate([new_rows, banned_rows])))
    pos = np.full(acc.num_rows, -1, np.int64)
    pos[need] = np.arange(len(need))
    sub = acc.take(pa.array(need))
    prof = profile_columns(sub["nickname"].to_pylist(),
                           sub["avatar_hash"].to_pylist() if "avatar_hash" in sub.column_names else [None] * sub.num_rows,
                           sub["bio"].to_pylist() if "bio" in sub.column_names else [None] * sub.num_rows)
    prof_t = pa.table(prof)
    left = Records(prof_t.take(pa.array(pos[new_rows])))
    right = Records(prof_t.take(pa.array(pos[banned_rows])))
    t_keys = time.perf_counter() - t0

    t_g = time.perf_counter()
    ids = None
    if tables.identities is not None and tables.identities.num_rows:
        irow = pc.index_in(tables.identities["account_id"], value_set=acc["account_id"]).fill_null(-1)
        ids = IdentitySets(irow.to_numpy(zero_copy_only=False).astype(np.int64),
                           tables.identities["kind"], tables.identities["value"], acc.num_rows)
    graph = None
    if tables.follower_rows is not None and len(tables.follower_rows):
        graph = FollowGraph(tables.follower_rows, tables.followee_rows, acc.num_rows, int(opts["hub_following"]))
    if progress:
        progress("reincarnation: candidates", 1, 4)
    new_created = created[new_rows]
    t_graph = time.perf_counter() - t_g
    t1 = time.perf_counter()
    cands = candidate_pairs(left, right, new_rows, banned_rows, new_created, banned_at, ids, graph, opts)
    t_block = time.perf_counter() - t1

    # random eligible pairs (u) and the size of the eligible pair space (prior)
    order = np.sort(new_created)

    sampler = pair_sampler(len(new_rows), len(banned_rows), lambda i, j: (
        (new_created[i] >= banned_at[j] - slack) & (new_rows[i] != banned_rows[j])))

    total = float((len(order) - np.searchsorted(order, banned_at - slack, "left")).sum())
    settings = LinkageSettings.from_dict(C.settings_dict(overrides))
    declared = declared_accounts(acc, new_rows, tables.declared_ids, str(opts["declared_pattern"]))
    pairs = AccountPairs(new_rows, banned_rows, new_created, banned_at, ids, graph, declared)
    linker = Linker(settings, left, right, pair_features=pairs, model=model, pair_sampler=sampler,
                    total_pairs=max(total, 1.0))
    if progress:
        progress("reincarnation: model", 2, 4)
    t2 = time.perf_counter()
    if fit:
        linker.fit(cands)
    t_fit = time.perf_counter() - t2
    if progress:
        progress("reincarnation: scoring", 3, 4)
    t3 = time.perf_counter()
    preds = linker.predict(cands, min_prob=float(opts["min_report"]))
    if opts["one_per_new_account"] and len(preds):
        order_p = np.lexsort((-preds.weight, preds.i))
        first = np.r_[True, preds.i[order_p][1:] != preds.i[order_p][:-1]]
        preds = preds.take(order_p[first])
    feats = pairs(preds.i, preds.j) if len(preds) else {}
    details: dict[str, np.ndarray] = {}
    if len(preds):
        details["avatar_bits"] = np.where(
            (avatar_parts(left.arrow("avatar").take(pa.array(preds.i))) != 0).any(axis=1)
            & (avatar_parts(right.arrow("avatar").take(pa.array(preds.j))) != 0).any(axis=1),
            hamming_rows(avatar_parts(left.arrow("avatar").take(pa.array(preds.i))),
                         avatar_parts(right.arrow("avatar").take(pa.array(preds.j)))), -1)
        details.update({k: feats[k] for k in ("id_kinds", "fan_common", "fan_share", "days_after_ban")})
    t_pred = time.perf_counter() - t3
    stats = {
        "new_accounts": int(len(new_rows)), "banned_accounts": int(len(banned_rows)), "candidates": int(len(cands)),
        "eligible_pairs": total, "blocking": cands.summary(),
        "seconds": {"keys": round(t_keys, 2), "identities_follows": round(t_graph, 2), "blocking": round(t_block, 2),
                    "fit": round(t_fit, 2), "predict": round(t_pred, 2)},
        "fit": {"sessions": linker.report.sessions, "prior": linker.model.prior, "notes": linker.report.notes},
    }
    res = LinkResult(preds, linker, acc["account_id"].take(pa.array(new_rows)).to_numpy(zero_copy_only=False),
                     banned, new_created, details, stats)
    res.profiles, res.profile_rows = prof_t, need
    res.banned_rows, res.ids = banned_rows, ids
    return res
