"""The Fellegi–Sunter model: m/u probabilities per comparison level, a prior, EM, and scoring.

A pair's comparison vector gamma holds one level per comparison (0 = null: a value is
missing, weight 0). Its match weight is

    W = log2(prior / (1 - prior)) + sum_c log2(m[c][gamma_c] / u[c][gamma_c]) + tf adjustments

and its match probability 2^W / (1 + 2^W). The terms are the waterfall a reviewer reads:
they add up to W exactly.

Term-frequency adjustment (as in Splink): for an exact level on a column marked `tf`, the
u of *this value* is its frequency among the records, so agreeing on a common value (a
stock avatar, a campus NAT IP, a common name) weighs less than agreeing on a rare one:
the level's weight becomes log2(m / tf(value)) (scaled by `tf_weight`).

m is estimated by expectation maximisation over candidate pairs, with u fixed from random
pairs (Splink's approach); the comparison vectors are first reduced to distinct patterns
with counts, so an EM iteration costs O(patterns), not O(pairs).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qinglang.linkage.settings import Comparison, LinkageSettings

RADIX_BITS = 4  # levels per comparison < 16 (14 levels + null + spare)


def encode_patterns(gamma: np.ndarray) -> np.ndarray:
    """(P, C) int8 levels -> (P,) int64 pattern codes (mixed radix 16)."""
    code = np.zeros(gamma.shape[0], dtype=np.int64)
    for c in range(gamma.shape[1]):
        code |= gamma[:, c].astype(np.int64) << (RADIX_BITS * c)
    return code


def decode_patterns(codes: np.ndarray, n_comparisons: int) -> np.ndarray:
    out = np.zeros((len(codes), n_comparisons), dtype=np.int8)
    for c in range(n_comparisons):
        out[:, c] = (codes >> (RADIX_BITS * c)) & 0xF
    return out


def logit2(p: float) -> float:
    p = min(max(p, 1e-300), 1 - 1e-16)
    return math.log2(p / (1 - p))


def prob_from_weight(w: np.ndarray | float):
    return 1.0 / (1.0 + np.exp2(-np.asarray(w, dtype=np.float64)))


@dataclass
class FSModel:
    """Parameters of a fitted linkage model (savable as JSON)."""

    names: list[str]
    labels: list[list[str]]  # per comparison: level labels, index 0 = "null"
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def initial(cls, settings: LinkageSettings) -> "FSModel":
        names, labels, ms, us = [], [], [], []
        for comp in settings.comparisons:
            names.append(comp.name)
            labels.append(["null"] + [lv.label for lv in comp.levels])
            ms.append(_initial_m(comp))
            us.append(_initial_u(comp))
        prior = settings.prior if settings.prior is not None else 1e-4
        return cls(names, labels, ms, us, prior)

    # --- weights ---------------------------------------------------------------------
    def level_weights(self) -> list[np.ndarray]:
        """log2(m/u) per comparison level; the null level weighs 0."""
        out = []
        for m, u in zip(self.m, self.u):
            w = np.log2(np.maximum(m, 1e-300) / np.maximum(u, 1e-300))
            w[0] = 0.0
            out.append(w)
        return out

    @property
    def prior_weight(self) -> float:
        return logit2(self.prior)

    def pattern_weights(self, patterns: np.ndarray) -> np.ndarray:
        """(n_patterns, C) per-comparison weights of decoded patterns (without tf adjustment)."""
        lw = self.level_weights()
        out = np.zeros(patterns.shape, dtype=np.float64)
        for c, w in enumerate(lw):
            out[:, c] = w[patterns[:, c]]
        return out

    # --- (de)serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "comparisons": [
                {"name": n, "levels": [{"label": lab, "m": float(m), "u": float(u)}
                                       for lab, m, u in zip(labs, mm, uu)]}
                for n, labs, mm, uu in zip(self.names, self.labels, self.m, self.u)
            ],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FSModel":
        names, labels, ms, us = [], [], [], []
        for c in d["comparisons"]:
            names.append(c["name"])
            labels.append([lv["label"] for lv in c["levels"]])
            ms.append(np.array([lv["m"] for lv in c["levels"]], dtype=np.float64))
            us.append(np.array([lv["u"] for lv in c["levels"]], dtype=np.float64))
        return cls(names, labels, ms, us, float(d["prior"]), dict(d.get("meta", {})))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def compatible(self, settings: LinkageSettings) -> bool:
        return self.names == [c.name for c in settings.comparisons] and all(
            len(lab) == c.n_levels for lab, c in zip(self.labels, settings.comparisons))

    def describe(self) -> list[dict[str, Any]]:
        """Rows (comparison, level, m, u, weight) for a human-readable parameter table."""
        rows = []
        for n, labs, m, u, w in zip(self.names, self.labels, self.m, self.u, self.level_weights()):
            for k in range(1, len(labs)):
                rows.append({"comparison": n, "level": labs[k], "m": float(m[k]), "u": float(u[k]),
                             "weight": float(w[k])})
        return rows


def _initial_m(comp: Comparison) -> np.ndarray:
    k = len(comp.levels)
    m = np.zeros(k + 1)
    # geometric: the strictest level is the likeliest for a match; 'else' gets little
    raw = np.array([0.5 ** i for i in range(k)], dtype=np.float64)
    if comp.levels[-1].kind == "else" and k > 1:
        raw[-1] = 0.05 * raw[:-1].sum()
    m[1:] = raw / raw.sum()
    for idx, lv in enumerate(comp.levels, start=1):
        if lv.m is not None:
            m[idx] = lv.m
    return m


def _initial_u(comp: Comparison) -> np.ndarray:
    k = len(comp.levels)
    u = np.zeros(k + 1)
    raw = np.array([0.5 ** (k - 1 - i) for i in range(k)], dtype=np.float64)
    u[1:] = raw / raw.sum()
    for idx, lv in enumerate(comp.levels, start=1):
        if lv.u is not None:
            u[idx] = lv.u
    return u


@dataclass
class EMResult:
    m: list[np.ndarray]
    u: list[np.ndarray]
    lam: float
    iterations: int
    converged: bool


def expectation_maximisation(patterns: np.ndarray, counts: np.ndarray, m: list[np.ndarray], u: list[np.ndarray],
                             lam: float, active: list[bool], *, max_iterations: int = 50, tolerance: float = 1e-4,
                             train_u: bool = False, train_lambda: bool = True, fixed_m: list[np.ndarray] | None = None,
                             m_floor: float = 1e-6) -> EMResult:
    """EM over distinct comparison patterns (rows of `patterns`, weighted by `counts`).

    Comparisons not `active` are left out of the likelihood and keep their m/u.
    `fixed_m[c][k]` True keeps that m as given (configuration said `fix_m`).
    """
    m = [x.copy() for x in m]
    u = [x.copy() for x in u]
    counts = counts.astype(np.float64)
    total = counts.sum()
    if total == 0:
        return EMResult(m, u, lam, 0, True)
    cols = [c for c, a in enumerate(active) if a]
    lam = min(max(lam, 1e-6), 1 - 1e-6)
    converged = False
    it = 0
    for it in range(1, max_iterations + 1):
        lm = np.zeros(len(counts))
        lu = np.zeros(len(counts))
        for c in cols:
            g = patterns[:, c]
            mm = np.log(np.maximum(m[c], 1e-300))
            uu = np.log(np.maximum(u[c], 1e-300))
            mm[0] = uu[0] = 0.0
            lm += mm[g]
            lu += uu[g]
        a = math.log(lam) + lm
        b = math.log(1 - lam) + lu
        p = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        wp = counts * p
        wn = counts * (1 - p)
        change = 0.0
        for c in cols:
            g = patterns[:, c]
            n_levels = len(m[c])
            num = np.bincount(g, weights=wp, minlength=n_levels)
            num[0] = 0.0
            if num.sum() > 0:
                new = np.maximum(num / num.sum(), m_floor)
                new[0] = 0.0
                new[1:] /= new[1:].sum()
                if fixed_m is not None:
                    keep = fixed_m[c]
                    if keep.any():
                        free = ~keep
                        free[0] = False
                        budget = 1.0 - m[c][keep].sum()
                        if new[free].sum() > 0:
                            new[free] = new[free] / new[free].sum() * budget
                        new[keep] = m[c][keep]
                change = max(change, float(np.abs(new - m[c]).max()))
                m[c] = new
            if train_u:
                num = np.bincount(g, weights=wn, minlength=n_levels)
                num[0] = 0.0
                if num.sum() > 0:
                    newu = np.maximum(num / num.sum(), 1e-12)
                    newu[0] = 0.0
                    newu[1:] /= newu[1:].sum()
                    change = max(change, float(np.abs(newu - u[c]).max()))
                    u[c] = newu
        if train_lambda:
            new_lam = min(max(float(wp.sum() / total), 1e-9), 1 - 1e-9)
            change = max(change, abs(new_lam - lam))
            lam = new_lam
        if change < tolerance:
            converged = True
            break
    return EMResult(m, u, lam, it, converged)
