"""A linkage run: blocking, comparison vectors, u from random pairs, m by EM, prior, prediction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from qinglang.errors import QinglangError
from qinglang.linkage.blocking import Candidates, block
from qinglang.linkage.levels import KINDS, PairFrame
from qinglang.linkage.model import (FSModel, decode_patterns, encode_patterns, expectation_maximisation, logit2,
                                    prob_from_weight)
from qinglang.linkage.records import CodeBook, Records, with_derived
from qinglang.linkage.settings import BlockingRule, LinkageSettings

PairFeatures = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
#: (i, j) -> (comparison levels (P, C) int8, term frequencies (P, C) float64, NaN where a level has none)
Comparer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Predictions:
    """Scored pairs: match weight, probability and each comparison's level and weight."""

    i: np.ndarray
    j: np.ndarray
    weight: np.ndarray
    prob: np.ndarray
    gamma: np.ndarray  # (P, C) int8 levels
    contrib: np.ndarray  # (P, C) float64 weights incl. term-frequency adjustment
    model: FSModel
    rule: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.i)

    def take(self, mask_or_idx) -> "Predictions":
        return Predictions(self.i[mask_or_idx], self.j[mask_or_idx], self.weight[mask_or_idx], self.prob[mask_or_idx],
                           self.gamma[mask_or_idx], self.contrib[mask_or_idx], self.model,
                           None if self.rule is None else self.rule[mask_or_idx])

    def waterfall(self, k: int) -> list[dict[str, Any]]:
        """The terms of pair k's match weight: the prior, then one per comparison; they sum to its weight."""
        rows = [{"comparison": "prior", "level": "", "weight": float(self.model.prior_weight)}]
        for c, name in enumerate(self.model.names):
            g = int(self.gamma[k, c])
            rows.append({"comparison": name, "level": self.model.labels[c][g], "weight": float(self.contrib[k, c])})
        return rows


@dataclass
class FitReport:
    candidates: int = 0
    blocking: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    u_pairs: int = 0
    prior: float = 0.0
    expected_matches: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Linker:
    """Runs one linkage configuration over records (dedupe, or left against right)."""

    def __init__(self, settings: LinkageSettings, left: Records, right: Records | None = None, *,
                 pair_features: PairFeatures | None = None, model: FSModel | None = None,
                 threads: int | None = None, memory_limit: str | None = None, chunk: int = 1_000_000,
                 pair_sampler: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]] | None = None,
                 total_pairs: float | None = None, comparer: Comparer | None = None):
        """`comparer`: where the records are not in this process (a batch engine compares the pairs where they
        live), the function giving pairs' levels and term frequencies; then `left`/`right` may be None."""
        self.comparer = comparer
        if comparer is not None and left is None:
            self.settings, self.left, self.right, self.same, self.codes = settings, None, None, False, None
            self.pair_features, self.threads, self.memory_limit, self.chunk = pair_features, threads, memory_limit, chunk
            self._init_model(settings, model, pair_sampler, total_pairs)
            return
        if settings.link_type == "link" and right is None:
            raise QinglangError("linkage: link_type 'link' needs a right table")
        self.settings = settings
        if settings.derived:
            left = with_derived(left, settings.derived)
            right = None if right is None else with_derived(right, settings.derived)
        self.left = left
        self.same = right is None
        self.right = left if right is None else right
        self.codes = CodeBook(self.left, self.right, self.same)
        self.pair_features = pair_features
        self.threads = threads
        self.memory_limit = memory_limit
        self.chunk = chunk
        self._init_model(settings, model, pair_sampler, total_pairs)

    def _init_model(self, settings, model, pair_sampler, total_pairs) -> None:
        self.model = model if model is not None else FSModel.initial(settings)
        if not self.model.compatible(settings):
            raise QinglangError("linkage: the saved model does not fit these comparisons; fit it again")
        self.pair_sampler = pair_sampler  # random pairs from the space blocking draws from (default: uniform)
        self._total_pairs = total_pairs
        self.report = FitReport()
        self._cache: tuple | None = None  # (candidates, pattern codes, tf sums, term frequencies) of the last fit
        self._u_unseen: dict[int, np.ndarray] = {}  # levels the random sample never met
        self._rng = np.random.default_rng(settings.seed)

    # --- pairs -----------------------------------------------------------------------------
    @property
    def total_pairs(self) -> float:
        if self._total_pairs is not None:
            return float(self._total_pairs)
        if self.same:
            return self.left.n * (self.left.n - 1) / 2
        return float(self.left.n) * float(self.right.n)

    def block(self, rules: list[BlockingRule] | None = None) -> Candidates:
        t0 = time.perf_counter()
        cands = block(self.left, None if self.same else self.right, rules or self.settings.blocking,
                      threads=self.threads, memory_limit=self.memory_limit)
        self.report.seconds["blocking"] = round(time.perf_counter() - t0, 3)
        self.report.candidates = len(cands)
        self.report.blocking = cands.summary()
        return cands

    def frame(self, i: np.ndarray, j: np.ndarray) -> PairFrame:
        pair = self.pair_features(i, j) if self.pair_features is not None else None
        return PairFrame(self.left, self.right, i, j, self.codes, pair)

    def gamma(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(P, C) comparison levels of pairs, computed in chunks."""
        if self.comparer is not None:
            return self.comparer(i, j)[0]
        comps = self.settings.comparisons
        out = np.zeros((len(i), len(comps)), dtype=np.int8)
        for s in range(0, len(i), self.chunk):
            fr = self.frame(i[s:s + self.chunk], j[s:s + self.chunk])
            out[s:s + self.chunk] = self._gamma_frame(fr)
        return out

    def compare(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P, C) comparison levels and term frequencies of pairs (see `Comparer`)."""
        if self.comparer is not None:
            return self.comparer(i, j)
        comps = self.settings.comparisons
        g = np.zeros((len(i), len(comps)), dtype=np.int8)
        tf = np.full((len(i), len(comps)), np.nan)
        for s in range(0, len(i), self.chunk):
            sl = slice(s, s + self.chunk)
            fr = self.frame(i[sl], j[sl])
            g[sl] = self._gamma_frame(fr)
            tf[sl] = self.term_frequencies(i[sl], j[sl], g[sl], fr)
        return g, tf

    def _gamma_frame(self, fr: PairFrame) -> np.ndarray:
        comps = self.settings.comparisons
        g = np.zeros((fr.n, len(comps)), dtype=np.int8)
        for c, comp in enumerate(comps):
            null = np.zeros(fr.n, dtype=bool)
            for col in comp.columns:
                null |= self.left.null_mask(col)[fr.i] | self.right.null_mask(col)[fr.j]
            for col in comp.pair_columns:
                v = np.asarray(fr.pair.get(col, np.full(fr.n, np.nan)), dtype=np.float64)
                null |= np.isnan(v)
            rem = np.flatnonzero(~null)
            gc = g[:, c]
            for k, lv in enumerate(comp.levels, start=1):
                if len(rem) == 0:
                    break
                hit = KINDS[lv.kind].evaluate(fr, lv, rem)
                gc[rem[hit]] = k
                rem = rem[~hit]
        return g

    # --- training --------------------------------------------------------------------------
    def estimate_u(self, n_pairs: int | None = None) -> None:
        """u per level from random pairs (fixed levels `u:` in the settings are kept)."""
        t0 = time.perf_counter()
        n = int(n_pairs or self.settings.u_pairs)
        total = self.total_pairs
        n = int(min(n, total)) if total > 0 else 0
        if n == 0:
            return
        if self.pair_sampler is not None:
            i, j = self.pair_sampler(self._rng, n)
        else:
            i = self._rng.integers(0, self.left.n, n)
            j = self._rng.integers(0, self.right.n, n)
        if self.same:
            keep = i != j
            i, j = i[keep], j[keep]
        g = self.gamma(i, j)
        self.report.u_pairs = len(i)
        for c, comp in enumerate(self.settings.comparisons):
            counts = np.bincount(g[:, c], minlength=comp.n_levels).astype(np.float64)
            counts[0] = 0.0
            nn = counts.sum()
            if nn == 0:
                continue
            u = np.maximum(counts, 0.5) / nn  # a level never seen among random pairs: half a pair for now
            u = np.maximum(u, 1e-12)
            u[0] = 0.0
            u[1:] /= u[1:].sum()
            unseen = counts == 0
            unseen[0] = False
            for k, lv in enumerate(comp.levels, start=1):
                if lv.u is not None:
                    u[k] = lv.u
                    unseen[k] = False
            self.model.u[c] = u
            self._u_unseen[c] = unseen
        self.report.seconds["u"] = round(time.perf_counter() - t0, 3)

    def _fixed_m(self) -> list[np.ndarray]:
        out = []
        for comp in self.settings.comparisons:
            f = np.zeros(comp.n_levels, dtype=bool)
            for k, lv in enumerate(comp.levels, start=1):
                f[k] = bool(lv.fix_m and lv.m is not None)
            out.append(f)
        return out

    def _em(self, codes: np.ndarray, active: list[bool], lam: float, train_lambda: bool = True):
        em = self.settings.em
        if len(codes) > em.max_pairs:
            codes = self._rng.choice(codes, em.max_pairs, replace=False)
        uniq, counts = np.unique(codes, return_counts=True)
        pats = decode_patterns(uniq, len(self.settings.comparisons))
        return expectation_maximisation(pats, counts, self.model.m, self.model.u, lam, active,
                                        max_iterations=em.max_iterations, tolerance=em.tolerance,
                                        train_u=em.train_u, train_lambda=train_lambda, fixed_m=self._fixed_m(),
                                        m_floor=em.m_floor), len(codes)

    def estimate_m(self, cands: Candidates, codes: np.ndarray) -> None:
        """m by EM: per blocking rule (comparisons on the rule's columns sit out) or over all pairs."""
        t0 = time.perf_counter()
        comps = self.settings.comparisons
        if self.settings.em.sessions == "all" or not cands.per_rule:
            res, used = self._em(codes, [True] * len(comps), 0.1)
            self.model.m, self.model.u = res.m, res.u
            self.report.sessions.append({"session": "all pairs", "pairs": used, "iterations": res.iterations,
                                         "converged": res.converged, "lambda": res.lam})
        else:
            sums = [np.zeros(c.n_levels) for c in comps]
            seen = [0] * len(comps)
            for r, rp in enumerate(cands.per_rule):
                if len(rp.i) == 0:
                    continue
                cols = set(rp.rule.columns)
                active = [not (c.depends_on & cols) for c in comps]
                if sum(active) < 2:
                    # one comparison alone cannot tell the two classes apart (the mixture is not identified)
                    self.report.sessions.append({"session": rp.rule.name, "skipped": "fewer than two comparisons "
                                                 "left to train once those on the rule's columns sit out"})
                    continue
                idx = cands.rule_index(r)
                res, used = self._em(codes[idx], active, 0.3)
                for c, a in enumerate(active):
                    if a:
                        sums[c] += res.m[c]
                        seen[c] += 1
                self.report.sessions.append({"session": rp.rule.name, "pairs": used, "iterations": res.iterations,
                                             "converged": res.converged, "lambda": round(res.lam, 6),
                                             "trained": [c.name for c, a in zip(comps, active) if a]})
            for c, comp in enumerate(comps):
                if seen[c]:
                    m = sums[c] / seen[c]
                    m[0] = 0.0
                    m[1:] /= m[1:].sum()
                    self.model.m[c] = m
                else:
                    self.report.notes.append(
                        f"comparison {comp.name!r} is used by every blocking rule: its m keeps its starting values")
        self.report.seconds["em"] = round(time.perf_counter() - t0, 3)

    def estimate_prior(self, cands: Candidates, codes: np.ndarray, tf_sum: np.ndarray | None = None) -> None:
        """Share of matches among all pairs, self-consistent with the fitted m/u.

        The prior pi must explain itself: the matches the model expects among the candidates at pi,
        sum_k sigmoid(evidence_k + logit pi), equal the matches pi implies over all pairs, pi * T (times
        the blocking recall). Solved by fixed-point iteration from a generous start. Each candidate's
        evidence includes its term-frequency adjustments, so a common name does not inflate the count.
        """
        if self.settings.prior is not None:
            self.model.prior = float(self.settings.prior)
            return
        if len(codes) == 0 or self.total_pairs == 0:
            return
        uniq, inv, _ = self._unique(codes)
        if tf_sum is None:
            counts = np.bincount(inv).astype(np.float64)
            evidence = self._pattern_evidence(uniq)
        else:
            evidence = self._pattern_evidence(uniq)[inv] + tf_sum
            counts = np.ones(len(evidence))
        scale = max(self.settings.blocking_recall, 1e-6) * self.total_pairs
        pi = min(0.5, float(counts.sum()) / scale)  # as if every candidate matched
        for _ in range(2000):
            expected = float((prob_from_weight(evidence + logit2(pi)) * counts).sum())
            new = min(max(expected / scale, 1e-15), 0.5)
            if abs(new - pi) <= 1e-9 * pi:
                pi = new
                break
            pi = new
        self.report.expected_matches = float((prob_from_weight(evidence + logit2(pi)) * counts).sum())
        self.model.prior = float(pi)
        self.report.prior = self.model.prior

    def _unique(self, codes: np.ndarray):
        """np.unique(codes, return_inverse, return_counts), remembered for the last array asked."""
        c = getattr(self, "_uniq_cache", None)
        if c is not None and c[0] is codes:
            return c[1], c[2], c[3]
        uniq, inv, counts = np.unique(codes, return_inverse=True, return_counts=True)
        self._uniq_cache = (codes, uniq, inv, counts)
        return uniq, inv, counts

    def _refine_rare_u(self, codes: np.ndarray) -> bool:
        """u of levels too rare for the random sample, from their count among the candidates.

        A level the random pairs never showed (a near-duplicate avatar, a shared device) has u below
        one in the sample size, and the sample cannot say how far below. The blocking meets such
        pairs wherever they are, so their count among the candidates, less the matches the model
        expects there (m x expected matches), over all pairs estimates u; at least one pair's worth.
        """
        if not self._u_unseen or self.settings.prior is not None or len(codes) == 0:
            return False
        total = self.total_pairs
        expected = self.report.expected_matches
        uniq, _, counts = self._unique(codes)
        pats = decode_patterns(uniq, len(self.settings.comparisons))
        changed = False
        for c, unseen in self._u_unseen.items():
            if not unseen.any():
                continue
            per_level = np.bincount(pats[:, c], weights=counts, minlength=len(unseen))
            u = self.model.u[c].copy()
            moved = False
            for k in np.flatnonzero(unseen):
                est = max(per_level[k] - self.model.m[c][k] * expected, 1.0) / total
                if est < u[k]:
                    u[k] = est
                    moved = True
            if not moved:
                continue
            comp = self.settings.comparisons[c]
            fixed = {k for k, lv in enumerate(comp.levels, start=1) if lv.u is not None}
            rest = [k for k in range(1, len(u)) if not unseen[k] and k not in fixed]
            if rest:  # keep the levels summing to one: the common levels absorb the difference
                keep = u[np.flatnonzero(unseen)].sum() + sum(u[k] for k in fixed)
                u[rest] *= (1.0 - keep) / u[rest].sum()
            self.model.u[c] = u
            changed = True
        if changed:
            self.report.notes.append("u of levels unseen among random pairs estimated from the candidates")
        return changed

    def _pattern_evidence(self, uniq_codes: np.ndarray) -> np.ndarray:
        pats = decode_patterns(uniq_codes, len(self.settings.comparisons))
        lw = self.model.level_weights()
        out = np.zeros(len(uniq_codes))
        for c, w in enumerate(lw):
            out += w[pats[:, c]]
        return out

    def _tf_sum(self, codes: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Per candidate: the sum of its term-frequency adjustments under the current u."""
        out = np.zeros(len(codes))
        if not np.isfinite(tf).any():
            return out
        C = len(self.settings.comparisons)
        for s in range(0, len(codes), self.chunk):
            sl = slice(s, s + self.chunk)
            out[sl] = self.adjustments(tf[sl], decode_patterns(codes[sl], C)).sum(axis=1)
        return out

    def fit(self, cands: Candidates | None = None) -> FSModel:
        """Train u (random pairs), m (EM) and the prior; returns the fitted model."""
        cands = cands if cands is not None else self.block()
        t0 = time.perf_counter()
        g, tf = self.compare(cands.i, cands.j)
        codes = encode_patterns(g)
        del g
        self.report.seconds["comparisons"] = round(time.perf_counter() - t0, 3)
        self.estimate_u()
        if self.settings.training_blocking:
            tc = block(self.left, None if self.same else self.right, self.settings.training_blocking,
                       threads=self.threads, memory_limit=self.memory_limit)
            tcodes = encode_patterns(self.gamma(tc.i, tc.j))
            self.estimate_m(tc, tcodes)
        else:
            self.estimate_m(cands, codes)
        t1 = time.perf_counter()
        tf_sum = self._tf_sum(codes, tf)
        self.estimate_prior(cands, codes, tf_sum)
        if self._refine_rare_u(codes):
            tf_sum = self._tf_sum(codes, tf)
            self.estimate_prior(cands, codes, tf_sum)
        self.report.seconds["prior"] = round(time.perf_counter() - t1, 3)
        self.model.meta.update({"candidates": len(cands), "u_pairs": self.report.u_pairs,
                                "expected_matches": round(self.report.expected_matches, 2)})
        self._cache = (cands, codes, tf_sum, tf)
        return self.model

    # --- supervised ------------------------------------------------------------------------
    def fit_supervised(self, cands: Candidates, is_match: np.ndarray) -> FSModel:
        """m from labelled matches among the candidates, u from random pairs, prior from the labels."""
        self.estimate_u()
        g = self.gamma(cands.i, cands.j)
        pos = g[is_match.astype(bool)]
        if len(pos) == 0:
            raise QinglangError("linkage: the labels give no matching pair among the candidates")
        for c, comp in enumerate(self.settings.comparisons):
            counts = np.bincount(pos[:, c], minlength=comp.n_levels).astype(np.float64)
            counts[0] = 0.0
            if counts.sum() > 0:
                m = (counts + 0.5) / (counts.sum() + 0.5 * (comp.n_levels - 1))
                m[0] = 0.0
                self.model.m[c] = m
        self.model.prior = float(min(0.5, max(1e-15, is_match.sum() / self.total_pairs)))
        self._cache = None
        return self.model

    # --- prediction ------------------------------------------------------------------------
    def term_frequencies(self, i: np.ndarray, j: np.ndarray, gamma: np.ndarray,
                         fr: PairFrame | None = None) -> np.ndarray:
        """(P, C) frequency of the agreeing value for pairs at a level with term-frequency adjustment; else NaN."""
        out = np.full(gamma.shape, np.nan)
        for c, comp in enumerate(self.settings.comparisons):
            for k, lv in enumerate(comp.levels, start=1):
                if not (lv.tf or lv.tf_pair):
                    continue
                sel = np.flatnonzero(gamma[:, c] == k)
                if len(sel) == 0:
                    continue
                if lv.tf and lv.tf in self.codes.tf_override:
                    tf = np.asarray(self.codes.tf_override[lv.tf](self.left.col(lv.tf)[i[sel]]), dtype=np.float64)
                elif lv.tf:
                    lc, rc, freq = self.codes.get(lv.tf)
                    code = lc[i[sel]]
                    if lv.tf_exclude:
                        cnt, tot = self.codes.counts(lv.tf)
                        f = np.maximum(cnt - lv.tf_exclude, 0.5) / tot
                    else:
                        f = freq
                    tf = np.where(code >= 0, f[np.maximum(code, 0)], np.nan)
                else:
                    if fr is None:
                        fr = self.frame(i, j)
                    tf = np.asarray(fr.pair[lv.tf_pair], dtype=np.float64)[sel]
                out[sel, c] = tf
        return out

    def adjustments(self, tf: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        """(P, C) term-frequency adjustments to add to the level weights, under the current u."""
        adj = np.zeros(gamma.shape, dtype=np.float64)
        for c, comp in enumerate(self.settings.comparisons):
            for k, lv in enumerate(comp.levels, start=1):
                if not (lv.tf or lv.tf_pair):
                    continue
                sel = np.flatnonzero((gamma[:, c] == k) & ~np.isnan(tf[:, c]))
                if len(sel):
                    adj[sel, c] = lv.tf_weight * np.log2(self.model.u[c][k] / np.maximum(tf[sel, c], lv.tf_min))
        return adj

    def tf_adjustments(self, i: np.ndarray, j: np.ndarray, gamma: np.ndarray, fr: PairFrame | None = None) -> np.ndarray:
        """(P, C) term-frequency adjustments to add to the level weights."""
        return self.adjustments(self.term_frequencies(i, j, gamma, fr), gamma)

    def _predict_cached(self, cands: Candidates, min_prob: float) -> Predictions:
        _, codes, tf_sum, tf = self._cache
        uniq, inv, _ = self._unique(codes)
        weight = self.model.prior_weight + self._pattern_evidence(uniq)[inv] + tf_sum
        prob = prob_from_weight(weight)
        keep = np.flatnonzero(prob >= min_prob)
        i, j = cands.i[keep], cands.j[keep]
        C = len(self.settings.comparisons)
        g = decode_patterns(codes[keep], C)
        lw = self.model.level_weights()
        contrib = np.zeros(g.shape, dtype=np.float64)
        for s in range(0, len(keep), self.chunk):
            sl = slice(s, s + self.chunk)
            for c, w in enumerate(lw):
                contrib[sl, c] = w[g[sl, c]]
            contrib[sl] += self.adjustments(tf[keep[sl]], g[sl])
        return Predictions(i, j, weight[keep], prob[keep], g, contrib, self.model, cands.rule[keep])

    def predict(self, cands: Candidates, min_prob: float = 0.0, chunk: int | None = None) -> Predictions:
        """Score candidate pairs; keep those with probability >= min_prob."""
        if self._cache is not None and self._cache[0] is cands:
            return self._predict_cached(cands, min_prob)
        parts = []
        chunk = chunk or self.chunk
        lw = self.model.level_weights()
        prior_w = self.model.prior_weight
        for s in range(0, len(cands), chunk):
            i, j = cands.i[s:s + chunk], cands.j[s:s + chunk]
            g, tf = self.compare(i, j)
            contrib = np.zeros(g.shape, dtype=np.float64)
            for c, w in enumerate(lw):
                contrib[:, c] = w[g[:, c]]
            contrib += self.adjustments(tf, g)
            weight = prior_w + contrib.sum(axis=1)
            prob = prob_from_weight(weight)
            keep = prob >= min_prob
            parts.append(Predictions(i[keep], j[keep], weight[keep], prob[keep], g[keep], contrib[keep], self.model,
                                     cands.rule[s:s + chunk][keep]))
        if not parts:
            z = np.zeros(0)
            C = len(self.settings.comparisons)
            return Predictions(z.astype(np.int64), z.astype(np.int64), z, z, np.zeros((0, C), np.int8),
                               np.zeros((0, C)), self.model, z.astype(np.int16))
        return Predictions(
            np.concatenate([p.i for p in parts]), np.concatenate([p.j for p in parts]),
            np.concatenate([p.weight for p in parts]), np.concatenate([p.prob for p in parts]),
            np.concatenate([p.gamma for p in parts]), np.concatenate([p.contrib for p in parts]), self.model,
            np.concatenate([p.rule for p in parts]))


def link(settings: LinkageSettings | dict, left, right=None, *, min_prob: float = 0.0, **kw) -> tuple[Predictions, Linker]:
    """Block, fit and predict in one call (tables may be Arrow tables, dicts or Records)."""
    if isinstance(settings, dict):
        settings = LinkageSettings.from_dict(settings)
    lrec = left if isinstance(left, Records) else Records(left)
    rrec = None if right is None else (right if isinstance(right, Records) else Records(right))
    linker = Linker(settings, lrec, rrec, **kw)
    cands = linker.block()
    linker.fit(cands)
    return linker.predict(cands, min_prob=min_prob), linker
