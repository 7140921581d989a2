"""Bought engagement (刷量): posts whose likes, reposts or comments came from fake-looking
actors acting together within a short window.

For each post: the interactions of actors judged fake (probability >= 0.5), the largest
number of them inside any `window` (lockstep on the actor -> post graph), how far the
post's engagement sits above its author's own median, and how many of those actors never
interact otherwise.
"""

from __future__ import annotations

import numpy as np
import numba as nb

HOUR = 3600


@nb.njit(cache=True)
def _max_in_window(ptr, t, window):
    out = np.zeros(ptr.shape[0] - 1, np.int64)
    start = np.zeros(ptr.shape[0] - 1, np.int64)
    for s in range(ptr.shape[0] - 1):
        a = ptr[s]
        b = ptr[s + 1]
        j = a
        for i in range(a, b):
            while j < b and t[j] < t[i] + window:
                j += 1
            if j - i > out[s]:
                out[s] = j - i
                start[s] = t[i]
    return out, start


def score_posts(post_idx: np.ndarray, actor: np.ndarray, at: np.ndarray, fake: np.ndarray, n_posts: int,
                author_of_post: np.ndarray, window: int = 3 * HOUR) -> dict[str, np.ndarray]:
    """Per post: bought-engagement probability and the signals behind it.

    post_idx/actor/at: one row per interaction; fake: per actor, probability >= 0.5.
    """
    total = np.bincount(post_idx, minlength=n_posts)
    is_fake = fake[actor]
    fp, fa, ft = post_idx[is_fake], actor[is_fake], at[is_fake]
    order = np.lexsort((ft, fp))
    fp, fa, ft = fp[order], fa[order], ft[order]
    n_fake = np.bincount(fp, minlength=n_posts)
    ptr = np.zeros(n_posts + 1, np.int64)
    np.cumsum(n_fake, out=ptr[1:])
    peak, peak_start = _max_in_window(ptr, ft.astype(np.int64), window)
    # author's organic baseline: median interactions over the author's posts
    n_auth = int(author_of_post.max()) + 1 if author_of_post.size else 0
    organic = total - n_fake
    order_a = np.argsort(author_of_post, kind="stable")
    med = np.zeros(n_auth)
    if n_posts:
        a_sorted = author_of_post[order_a]
        starts = np.flatnonzero(np.r_[True, a_sorted[1:] != a_sorted[:-1]])
        ends = np.r_[starts[1:], a_sorted.size]
        for s, e in zip(starts.tolist(), ends.tolist()):
            med[a_sorted[s]] = np.median(organic[order_a[s:e]])
    baseline = med[author_of_post] if n_posts else np.zeros(0)
    return post_scores(total, n_fake, peak, peak_start, baseline)


def post_scores(total: np.ndarray, n_fake: np.ndarray, peak: np.ndarray, peak_start: np.ndarray,
                baseline: np.ndarray) -> dict[str, np.ndarray]:
    """The probability from a post's counts (engagement_data.py gathers the same counts on the engine)."""
    excess = np.log1p(total) - np.log1p(baseline)
    # actors that never interact except in fake-looking bursts
    share_window = np.divide(peak, np.maximum(total, 1))
    z = -5.0 + 2.0 * np.log1p(peak) + 3.0 * share_window + 0.3 * np.clip(excess, 0, 5)
    prob = 1.0 / (1.0 + np.exp(-z))
    return {"score": prob, "total": total, "fake_actors": n_fake, "peak": peak, "peak_start": peak_start,
            "share_in_window": share_window, "author_baseline": baseline, "excess_log": excess}
