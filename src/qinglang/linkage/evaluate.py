"""Pairwise accuracy of a linkage against the true entity of each record.

Every true pair counts, including those the blocking never reached (a pair not
predicted is a miss), so blocking recall shows in the recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def true_pair_keys(cluster: np.ndarray) -> np.ndarray:
    """Sorted int64 keys i * n + j (i < j) of all pairs of records sharing a cluster."""
    cluster = np.asarray(cluster)
    n = len(cluster)
    _, inv = np.unique(cluster, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(inv[order])) + 1)
    keys = []
    for g in groups:
        if len(g) < 2:
            continue
        g = np.sort(g)
        a, b = np.triu_indices(len(g), 1)
        keys.append(g[a].astype(np.int64) * n + g[b])
    if not keys:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(keys))


def pair_keys(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
    return lo * n + hi


@dataclass
class PairMetrics:
    threshold: float
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"threshold": round(self.threshold, 6), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


def metrics_at(pred_keys: np.ndarray, prob: np.ndarray, truth: np.ndarray, threshold: float) -> PairMetrics:
    sel = pred_keys[prob >= threshold]
    sel = np.unique(sel)
    tp = int(np.isin(sel, truth, assume_unique=True).sum())
    return PairMetrics(threshold, tp, int(len(sel) - tp), int(len(truth) - tp))


def best_threshold(pred_keys: np.ndarray, prob: np.ndarray, truth: np.ndarray) -> PairMetrics:
    """The threshold with the best F1 (an upper bound: it looks at the labels)."""
    if len(pred_keys) == 0:
        return PairMetrics(1.0, 0, 0, int(len(truth)))
    order = np.argsort(-prob, kind="stable")
    hits = np.isin(pred_keys[order], truth).astype(np.int64)
    tp = np.cumsum(hits)
    k = np.arange(1, len(order) + 1)
    fp = k - tp
    fn = len(truth) - tp
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    # only cut between distinct probabilities
    p_sorted = prob[order]
    valid = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1v = np.where(valid, f1, -1)
    b = int(np.argmax(f1v))
    return PairMetrics(float(p_sorted[b]), int(tp[b]), int(fp[b]), int(fn[b]))


def blocking_recall(cand_keys: np.ndarray, truth: np.ndarray) -> float:
    if len(truth) == 0:
        return 1.0
    return float(np.isin(truth, cand_keys).mean())
