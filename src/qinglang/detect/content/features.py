"""Hashed character n-gram TF-IDF features, computed for a whole batch with NumPy.

Equivalent in spirit to scikit-learn's ``TfidfVectorizer(analyzer="char",
ngram_range=(1, 4), sublinear_tf=True)`` with feature hashing, but the n-grams
are hashed from code-point arrays with vectorised rolling hashes instead of
Python string slicing, which makes it fast enough for the screening path
(measured in benchmarks/screening.py).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qinglang.detect.content.minhash import _mix

_MUL = np.uint64(0x9E3779B97F4A7C15)


class CharNgramHasher:
    def __init__(self, ngram_range: tuple[int, int] = (1, 4), n_bits: int = 21, min_df: int = 2,
                 sublinear_tf: bool = True, lowercase: bool = True):
        self.ngram_range = ngram_range
        self.n_bits = n_bits
        self.n_features = 1 << n_bits
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase
        self.idf: np.ndarray | None = None

    # ------------------------------------------------------------------
    def _entries(self, texts) -> tuple[np.ndarray, np.ndarray, int]:
        """(row of each n-gram occurrence, its hashed column, number of rows); rows ascend."""
        n = len(texts)
        joined = "\x00".join("" if t is None else str(t).replace("\x00", " ") for t in texts) + "\x00"
        if self.lowercase:
            joined = joined.lower()
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        bounds = np.flatnonzero(cps == 0)
        L = len(cps)
        pos = np.arange(L)
        idx = np.searchsorted(bounds, pos)
        next_b = bounds[idx]  # next separator at or after each position
        lo, hi = self.ngram_range
        width = hi - lo + 1
        H = np.empty((L, width), dtype=np.uint64)
        V = np.empty((L, width), dtype=bool)
        h = np.zeros(L, dtype=np.uint64)
        is_sep = cps == 0
        with np.errstate(over="ignore"):
            for k in range(1, hi + 1):
                shifted = np.zeros(L, dtype=np.uint64)
                shifted[: L - k + 1] = cps[k - 1:]
                h = _mix(h * _MUL + shifted + np.uint64(k))
                if k >= lo:
                    H[:, k - lo] = h
                    V[:, k - lo] = (pos + k <= next_b) & ~is_sep
        cols = (H[V] & np.uint64(self.n_features - 1)).astype(np.int32)
        rows = np.repeat(idx, V.sum(axis=1))
        return rows, cols, n

    def _counts(self, texts) -> sp.csr_matrix:
        rows, cols, n = self._entries(texts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_matrix((np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(n, self.n_features))

    def fit(self, texts) -> "CharNgramHasher":
        counts = self._counts(texts)
        counts.sum_duplicates()
        df = np.bincount(counts.indices, minlength=self.n_features)
        n = counts.shape[0]
        idf = np.log((1 + n) / (1 + df)) + 1.0
        keep = df >= self.min_df
        # columns of n-grams seen in fewer than min_df texts are dropped, the rest renumbered
        # densely, so models see only the vocabulary that occurred (a few 100k columns, not 2^21)
        self.col_map = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int32)
        self.n_columns = int(keep.sum())
        self.idf = idf[keep].astype(np.float32)
        return self

    def transform(self, texts) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows. Repeated n-grams of a post stay separate entries (so
        term frequency is linear and no sort is needed); sparse products sum them."""
        if self.idf is None:
            raise RuntimeError("fit() first")
        rows, cols, n = self._entries(texts)
        cols = self.col_map[cols]
        kept = cols >= 0
        rows, cols = rows[kept], cols[kept]
        data = self.idf[cols]
        counts = np.bincount(rows, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        sq = np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=n)
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        data = (data / norms[rows].astype(np.float32)).astype(np.float32)
        return sp.csr_matrix((data, cols, indptr), shape=(n, self.n_columns))

    def fit_transform(self, texts) -> sp.csr_matrix:
        return self.fit(texts).transform(texts)
