"""Comparison level kinds: vectorised predicates over candidate pairs.

Each kind checks its parameters (`check`) and evaluates a boolean mask over a subset of
pairs (`evaluate(frame, level, sel)`): `sel` indexes the pairs still unassigned, so a
costly similarity is only computed where no earlier level already applied.

| kind | parameters | true when |
|---|---|---|
| exact | column | the values are equal (term-frequency adjustable: `tf: true`) |
| exact_any | columns | any of the columns on the left equals any of them on the right |
| jaro_winkler, jaro, indel_ratio | column, min | rapidfuzz similarity (0..1) >= min |
| levenshtein, damerau | column, max | edit distance <= max |
| abs_diff | column, max | numeric |l - r| <= max |
| date_diff | column, max_days | |l - r| in days <= max_days (ISO dates or timestamps) |
| hamming | column, max | bit difference of hex hashes (e.g. 64-bit pHash) <= max |
| jaccard | column, min | Jaccard of list values >= min |
| pair | column, min / max / eq | a pair feature (computed by the caller) in range |
| custom | function | a registered function(frame, sel) -> mask |
| else | | always (the last level) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from qinglang.errors import QinglangError
from qinglang.linkage.records import CodeBook, Records


class PairFrame:
    """Candidate pairs (i into left, j into right) with access to both records' columns."""

    def __init__(self, left: Records, right: Records, i: np.ndarray, j: np.ndarray, codes: CodeBook,
                 pair: dict[str, np.ndarray] | None = None):
        self.left, self.right = left, right
        self.i, self.j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        self.codes = codes
        self.pair = pair or {}
        self.n = len(self.i)
        self._cache: dict[Any, np.ndarray] = {}

    def l(self, col: str, sel: np.ndarray) -> np.ndarray:
        return self.left.col(col)[self.i[sel]]

    def r(self, col: str, sel: np.ndarray) -> np.ndarray:
        return self.right.col(col)[self.j[sel]]

    def lcode(self, col: str, sel: np.ndarray) -> np.ndarray:
        return self.codes.get(col)[0][self.i[sel]]

    def rcode(self, col: str, sel: np.ndarray) -> np.ndarray:
        return self.codes.get(col)[1][self.j[sel]]

    def pair_col(self, col: str, sel: np.ndarray) -> np.ndarray:
        if col not in self.pair:
            raise QinglangError(f"linkage: pair feature {col!r} was not provided")
        return np.asarray(self.pair[col])[sel]

    def parsed(self, side: str, col: str, parser: Callable[[Records, str], np.ndarray]) -> np.ndarray:
        return parsed(self.left if side == "l" else self.right, col, parser)


def parsed(rec: Records, col: str, parser: Callable[[Records, str], np.ndarray]) -> np.ndarray:
    """`parser(rec, col)`, computed once and kept with the records (Records.take carries it to a subset)."""
    return rec.derived(f"{parser.__name__}:{col}", lambda: parser(rec, col))


def _need(comp: str, i: int, params: dict, *names: str) -> None:
    for n in names:
        if n not in params:
            raise QinglangError(f"linkage settings: comparison {comp!r} level {i + 1} needs {n!r}")


def _strings(a: np.ndarray) -> list[str]:
    return ["" if v is None else str(v) for v in a]


@dataclass(frozen=True)
class Kind:
    check: Callable[[str, int, dict], None]
    evaluate: Callable[[PairFrame, Any, np.ndarray], np.ndarray]


# --- exact ---------------------------------------------------------------------------------
def _exact(f: PairFrame, lv, sel):
    col = lv.params["column"]
    a, b = f.lcode(col, sel), f.rcode(col, sel)
    return (a == b) & (a >= 0)


def _exact_any(f: PairFrame, lv, sel):
    cols = list(lv.params["columns"])
    codes = f.codes.group(cols)
    out = np.zeros(len(sel), dtype=bool)
    for a in cols:
        la = codes[a][0][f.i[sel]]
        for b in cols:
            rb = codes[b][1][f.j[sel]]
            out |= (la == rb) & (la >= 0)
    return out


# --- string similarity (rapidfuzz) ---------------------------------------------------------
_SCORERS: dict[str, tuple[str, bool]] = {
    "jaro_winkler": ("JaroWinkler", False),
    "jaro": ("Jaro", False),
    "indel_ratio": ("Indel", False),
    "levenshtein": ("Levenshtein", True),
    "damerau": ("DamerauLevenshtein", True),
}


def string_scores(f: PairFrame, col: str, scorer_name: str, sel: np.ndarray) -> np.ndarray:
    """Similarity (or distance) of the column's values for pairs `sel`.

    Computed once per distinct (left value, right value) combination and cached on the frame,
    so the several thresholds of one comparison share one computation.
    """
    from rapidfuzz import distance, process

    key = ("str", col, scorer_name)
    cache = f._cache.get(key)
    if cache is None:
        cache = f._cache[key] = np.full(f.n, np.nan, dtype=np.float64)
    need = sel[np.isnan(cache[sel])]
    if len(need):
        cls_name, is_dist = _SCORERS[scorer_name]
        mod = getattr(distance, cls_name)
        scorer = mod.distance if is_dist else mod.normalized_similarity
        lc, rc = f.lcode(col, need), f.rcode(col, need)
        vals = f.codes.values(col)
        ok = (lc >= 0) & (rc >= 0)
        out = np.full(len(need), np.inf if is_dist else 0.0)
        if ok.any():
            combo = lc[ok] * np.int64(len(vals) + 1) + rc[ok]
            if _mostly_distinct(combo, len(vals)):
                # random pairs (u estimation): hardly any value pair repeats, so sorting to dedupe costs
                # more than it saves
                ul, ur, inv = lc[ok], rc[ok], None
            else:
                uniq, inv = np.unique(combo, return_inverse=True)
                ul, ur = uniq // (len(vals) + 1), uniq % (len(vals) + 1)
            workers = -1 if len(ul) > 20_000 else 1
            sc = process.cpdist(vals[ul], vals[ur], scorer=scorer, workers=workers).astype(np.float64)
            out[ok] = sc if inv is None else sc[inv]
        cache[need] = out
    return cache[sel]


def _mostly_distinct(combo: np.ndarray, n_values: int, probe: int = 20_000) -> bool:
    """True when a large array of value-pair codes barely repeats: the space of value pairs is large enough
    that even uniform draws would mostly differ, and an evenly spaced sample shows few repeats."""
    n = len(combo)
    if n < 4 * probe:
        return False
    space = float(n_values) ** 2
    if space * -np.expm1(-n / space) < 0.7 * n:  # expected distinct share of uniform draws
        return False
    sample = combo[:: n // probe][:probe]
    return len(np.unique(sample)) > 0.9 * len(sample)


def _rf(scorer_name: str, is_distance: bool):
    def evaluate(f: PairFrame, lv, sel):
        if len(sel) == 0:
            return np.zeros(0, dtype=bool)
        scores = string_scores(f, lv.params["column"], scorer_name, sel)
        if is_distance:
            return scores <= lv.params["max"]
        return scores >= lv.params["min"]

    return evaluate


# --- numbers and dates -----------------------------------------------------------------------
def _abs_diff(f: PairFrame, lv, sel):
    col = lv.params["column"]
    a, b = f.l(col, sel).astype(float), f.r(col, sel).astype(float)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= float(lv.params["max"])


def _as_days(rec: Records, col: str) -> np.ndarray:
    import pyarrow as pa

    arr = rec.arrow(col)
    if pa.types.is_timestamp(arr.type):
        return rec.col(col) / 86400.0
    if pa.types.is_date(arr.type):
        return rec.col(col)
    vals = rec.col(col)
    if vals.dtype != object:
        return vals.astype(float)
    out = np.full(len(vals), np.nan)
    for k, v in enumerate(vals):
        if v:
            try:
                out[k] = np.datetime64(str(v)[:10], "D").astype(np.int64)
            except ValueError:
                pass
    return out


def _date_diff(f: PairFrame, lv, sel):
    col = lv.params["column"]
    a = f.parsed("l", col, _as_days)[f.i[sel]]
    b = f.parsed("r", col, _as_days)[f.j[sel]]
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= float(lv.params["max_days"])


# --- hashes --------------------------------------------------------------------------------
def hex_parts(values: np.ndarray, parts: int = 4) -> np.ndarray:
    """Hex hashes -> (n, parts) uint64, zero-padded; rows of unparsable/missing values are all ones."""
    out = np.zeros((len(values), parts), dtype=np.uint64)
    for k, v in enumerate(values):
        if not v:
            out[k] = np.iinfo(np.uint64).max
            continue
        s = str(v).strip().lower()
        try:
            for p in range(min(parts, (len(s) + 15) // 16)):
                out[k, p] = np.uint64(int(s[p * 16:(p + 1) * 16], 16))
        except ValueError:
            out[k] = np.iinfo(np.uint64).max
    return out


def hex_parsed(rec: Records, col: str) -> np.ndarray:
    return hex_parts(rec.col(col))


def popcount64(x: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64."""
    x = x.astype(np.uint64, copy=True)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def hamming_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return popcount64(np.bitwise_xor(a, b)).sum(axis=1)


def _hamming(f: PairFrame, lv, sel):
    col = lv.params["column"]
    a = f.parsed("l", col, hex_parsed)[f.i[sel]]
    b = f.parsed("r", col, hex_parsed)[f.j[sel]]
    return hamming_rows(a, b) <= int(lv.params["max"])


# --- sets ----------------------------------------------------------------------------------
def _jaccard(f: PairFrame, lv, sel):
    col = lv.params["column"]
    a, b = f.l(col, sel), f.r(col, sel)
    out = np.zeros(len(sel), dtype=bool)
    mn = float(lv.params["min"])
    for k, (x, y) in enumerate(zip(a, b)):
        if x is None or y is None:
            continue
        sx, sy = set(x), set(y)
        u = len(sx | sy)
        out[k] = u > 0 and len(sx & sy) / u >= mn
    return out


# --- pair features -------------------------------------------------------------------------
def _pair(f: PairFrame, lv, sel):
    col = lv.params["column"]
    v = f.pair_col(col, sel).astype(float)
    out = np.ones(len(sel), dtype=bool)
    with np.errstate(invalid="ignore"):
        if "min" in lv.params:
            out &= v >= float(lv.params["min"])
        if "max" in lv.params:
            out &= v <= float(lv.params["max"])
        if "eq" in lv.params:
            out &= v == float(lv.params["eq"])
    return out


# --- custom --------------------------------------------------------------------------------
FUNCTIONS: dict[str, Callable[[PairFrame, np.ndarray, dict], np.ndarray]] = {}


def register_function(name: str):
    """Decorator: make `fn(frame, sel, params) -> mask` usable as `{kind: custom, function: name}`."""

    def deco(fn):
        FUNCTIONS[name] = fn
        return fn

    return deco


def _custom(f: PairFrame, lv, sel):
    name = lv.params["function"]
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise QinglangError(f"linkage: custom level function {name!r} is not registered (known: {sorted(FUNCTIONS)})")
    return np.asarray(fn(f, sel, lv.params), dtype=bool)


def _else(f: PairFrame, lv, sel):
    return np.ones(len(sel), dtype=bool)


def _check(*names: str):
    return lambda comp, i, params: _need(comp, i, params, *names)


KINDS: dict[str, Kind] = {
    "exact": Kind(_check("column"), _exact),
    "exact_any": Kind(_check("columns"), _exact_any),
    "jaro_winkler": Kind(_check("column", "min"), _rf("jaro_winkler", False)),
    "jaro": Kind(_check("column", "min"), _rf("jaro", False)),
    "indel_ratio": Kind(_check("column", "min"), _rf("indel_ratio", False)),
    "levenshtein": Kind(_check("column", "max"), _rf("levenshtein", True)),
    "damerau": Kind(_check("column", "max"), _rf("damerau", True)),
    "abs_diff": Kind(_check("column", "max"), _abs_diff),
    "date_diff": Kind(_check("column", "max_days"), _date_diff),
    "hamming": Kind(_check("column", "max"), _hamming),
    "jaccard": Kind(_check("column", "min"), _jaccard),
    "pair": Kind(_check("column"), _pair),
    "custom": Kind(_check("function"), _custom),
    "else": Kind(lambda c, i, p: None, _else),
}
