"""Time signals of bought fans: registration batches and follower bursts.

Both use the same scan statistic: a window holding n events where the local
baseline expects mu is anomalous when the Poisson likelihood-ratio (Kulldorff)
statistic n*log(n/mu) - n + mu exceeds `llr` (16 ~ p < 1e-7). The baseline is the
event rate in a wide window around the candidate (an overdispersion factor keeps
ordinary daily rhythm and growth from firing), and several window widths are
scanned, so an hour-wide batch and a six-week slow drip are both seen.

- Registration batches: accounts registered together (farms register members in
  batches shortly before delivering them).
- Time bursts: windows where one account's follower gains jump above its own
  baseline (needs `followed_at`).
- Rank bursts: without follow times, runs of followers (in follow_rank order) that
  were young when they followed, as in Zouzou & Varol 2024: the follow of rank r
  happened after every earlier follower registered, so max(created[:r]) - created[r]
  bounds the follower's age at follow from above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

HOUR = 3600
DAY = 86_400

#: window widths scanned (seconds) for follower bursts and registration batches
TIME_SCALES = (HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 21 * DAY, 42 * DAY)
REG_SCALES = (HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY)
RANK_SCALES = (20, 50, 200, 1000)


@nb.njit(cache=True)
def _llr(n, mu):
    if n <= mu:
        return 0.0
    return n * np.log(n / mu) - n + mu


@nb.njit(cache=True)
def _scan_sorted(keys, ptr, scales, base_half, llr_min, min_n, overdisp, floor_rate):
    """Flag events that start an anomalous window, per segment of sorted keys.

    keys: sorted within each segment [ptr[s], ptr[s+1]); returns per event the end key of
    the widest anomalous window it starts (or -1) so callers can merge windows.
    """
    m = keys.shape[0]
    out_end = np.full(m, -1, np.int64)
    out_llr = np.zeros(m)
    n_seg = ptr.shape[0] - 1
    for s in range(n_seg):
        a = ptr[s]
        b = ptr[s + 1]
        if b - a < min_n:
            continue
        for si in range(scales.shape[0]):
            w = scales[si]
            half = max(base_half[si], 2 * w)
            j = a  # window end pointer
            lo = a  # baseline pointers
            hi = a
            for i in range(a, b):
                t = keys[i]
                while j < b and keys[j] < t + w:
                    j += 1
                n = j - i
                if n < min_n:
                    continue
                while lo < b and keys[lo] < t - half:
                    lo += 1
                while hi < b and keys[hi] < t + w + half:
                    hi += 1
                span = (min(t + w + half, keys[b - 1] + 1) - max(t - half, keys[a])) * 1.0
                if span <= w:
                    span = w * 1.0
                rate = (hi - lo - n) / max(span - w, 1.0)  # baseline excludes the window itself
                mu = max(rate, floor_rate) * w * overdisp + 1.0
                v = _llr(n * 1.0, mu)
                if v >= llr_min and v > out_llr[i]:
                    out_llr[i] = v
                    out_end[i] = keys[j - 1] + 1
    return out_end, out_llr


@nb.njit(cache=True)
def _merge_windows(keys, ptr, flag_end, flag_llr):
    """One window per cluster of overlapping flagged windows: the most anomalous of them."""
    starts = []
    ends = []
    segs = []
    for s in range(ptr.shape[0] - 1):
        cur_e = -1
        best = -1.0
        bs = -1
        be = -1
        for i in range(ptr[s], ptr[s + 1]):
            e = flag_end[i]
            if e < 0:
                continue
            t = keys[i]
            if bs >= 0 and t > cur_e:  # a new cluster starts
                starts.append(bs)
                ends.append(be)
                segs.append(s)
                best = -1.0
                bs = -1
            if e > cur_e or bs < 0:
                cur_e = max(cur_e, e)
            if flag_llr[i] > best:
                best = flag_llr[i]
                bs = t
                be = e
        if bs >= 0:
            starts.append(bs)
            ends.append(be)
            segs.append(s)
    return np.array(segs, np.int64), np.array(starts, np.int64), np.array(ends, np.int64)


@dataclass
class Windows:
    """Anomalous windows [start, end) in key units (seconds or ranks), one segment (account) each."""

    seg: np.ndarray  # int64: the segment (followee index, or 0 for registrations)
    start: np.ndarray
    end: np.ndarray

    @property
    def n(self) -> int:
        return int(self.seg.size)


def registration_batches(created: np.ndarray, llr: float = 16.0, min_size: int = 8) -> tuple[np.ndarray, Windows]:
    """Batch id per account (-1 if none) and the batch windows, from registration times (negative: unknown)."""
    order = np.argsort(created, kind="stable")
    order = order[created[order] >= 0]
    keys = created[order].astype(np.int64)
    ptr = np.array([0, keys.size], np.int64)
    scales = np.array(REG_SCALES, np.int64)
    base = np.full(scales.size, 14 * DAY, np.int64)
    n_total = max(keys.size, 1)
    span = max(int(keys[-1] - keys[0]) if keys.size else 1, 1)
    floor = 0.05 * n_total / span
    ends, llrs = _scan_sorted(keys, ptr, scales, base, llr, min_size, 1.5, floor)
    seg, st, en = _merge_windows(keys, ptr, ends, llrs)
    batch = np.full(created.size, -1, np.int64)
    pos_lo = np.searchsorted(keys, st, "left")
    pos_hi = np.searchsorted(keys, en, "left")
    for b, (lo, hi) in enumerate(zip(pos_lo.tolist(), pos_hi.tolist())):
        batch[order[lo:hi]] = b
    return batch, Windows(seg, st, en)


def time_bursts(dst_sorted: np.ndarray, keys: np.ndarray, ptr: np.ndarray, llr: float = 16.0,
                min_n: int = 8) -> Windows:
    """Follower bursts per followee: keys are follow times sorted within each followee segment."""
    scales = np.array(TIME_SCALES, np.int64)
    base = np.array([max(14 * DAY, 3 * s) for s in TIME_SCALES], np.int64)
    ends, llrs = _scan_sorted(keys, ptr, scales, base, llr, min_n, 1.5, 0.0)
    seg, st, en = _merge_windows(keys, ptr, ends, llrs)
    return Windows(seg, st, en)


@nb.njit(cache=True)
def running_max(values, ptr):
    """Per segment [ptr[s], ptr[s+1]): the running maximum of values (in rank order: a follow's pseudo-time)."""
    out = np.empty(values.shape[0], np.int64)
    for s in range(ptr.shape[0] - 1):
        run = -(1 << 62)
        for i in range(ptr[s], ptr[s + 1]):
            if values[i] > run:
                run = values[i]
            out[i] = run
    return out


@nb.njit(cache=True)
def _young_keys(created_sorted, ptr, young_s):
    """Per follow in rank order: 1 if the follower was young (<= young_s) when following, by the running-max bound."""
    out = np.zeros(created_sorted.shape[0], np.int8)
    for s in range(ptr.shape[0] - 1):
        run = -(1 << 62)
        for i in range(ptr[s], ptr[s + 1]):
            c = created_sorted[i]
            if c > run:
                run = c
            if run - c <= young_s:
                out[i] = 1
    return out


@nb.njit(cache=True)
def _scan_indicator(y, ptr, scales, base_half, llr_min, min_n):
    """Rank windows where young followers are over-represented relative to nearby ranks."""
    m = y.shape[0]
    cum = np.zeros(m + 1, np.int64)
    for i in range(m):
        cum[i + 1] = cum[i] + y[i]
    out_end = np.full(m, -1, np.int64)
    out_llr = np.zeros(m)
    for s in range(ptr.shape[0] - 1):
        a = ptr[s]
        b = ptr[s + 1]
        if b - a < min_n:
            continue
        for si in range(scales.shape[0]):
            w = scales[si]
            half = base_half[si]
            for i in range(a, b - w + 1):
                n = cum[i + w] - cum[i]
                if n < min_n:
                    continue
                lo = max(a, i - half)
                hi = min(b, i + w + half)
                other = (cum[hi] - cum[lo]) - n
                k = (hi - lo) - w
                p = (other + 1.0) / (k + 2.0)
                mu = p * w * 1.5 + 1.0
                v = _llr(n * 1.0, mu)
                if v >= llr_min and v > out_llr[i]:
                    out_llr[i] = v
                    out_end[i] = i + w
    return out_end, out_llr


def rank_bursts(created_sorted: np.ndarray, ptr: np.ndarray, llr: float = 16.0, min_n: int = 8,
                young_days: float = 30.0) -> Windows:
    """Bursts in follow_rank order; created_sorted holds each follower's creation time in rank order.

    Windows are returned in positions within the segment's rank order (0-based, end exclusive);
    callers map them to ranks.
    """
    y = _young_keys(created_sorted, ptr, int(young_days * DAY))
    scales = np.array(RANK_SCALES, np.int64)
    base = np.array([max(2000, 5 * s) for s in RANK_SCALES], np.int64)
    ends, llrs = _scan_indicator(y, ptr, scales, base, llr, min_n)
    offs = np.repeat(ptr[:-1], np.diff(ptr))
    pos = np.arange(created_sorted.size, dtype=np.int64) - offs
    seg, st, en = _merge_windows(pos, ptr, np.where(ends >= 0, ends - offs, -1), llrs)
    return Windows(seg, st, en)
