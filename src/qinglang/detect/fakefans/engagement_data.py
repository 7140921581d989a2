"""What the engagement_fraud detector needs, gathered where the interactions are (DuckDB or Spark).

Per post: its interactions (`total`), those by actors judged fake (`n_fake`), the most of
them inside any `window` and when that window starts (group_apply over each post's fake
interactions in time order), and the author's organic baseline (median over the author's
posts of total - n_fake, posts without interactions counting 0). Only posts a fake actor
touched come back: without one, a post's score stays below 0.05 (engagement.post_scores:
z <= -5 + 0.3 * 5). The counts are engagement.score_posts's, computed in SQL.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pyarrow as pa

from qinglang.detect.fakefans.engagement import HOUR, _max_in_window

_ids = itertools.count()

PEAK_SCHEMA = pa.schema([("post_id", pa.string()), ("peak", pa.int64()), ("peak_start", pa.int64())])


def _peaks(window: int, t: pa.Table) -> pa.Table:
    """The busiest `window` of each post's (fake) interactions in a chunk of whole posts sorted by (post, time)."""
    pid = t.column("post_id").combine_chunks()
    times = np.asarray(t.column("t").to_numpy(), np.int64)
    n = len(pid)
    import pyarrow.compute as pc

    change = np.ones(n, bool)
    if n > 1:
        change[1:] = np.asarray(pc.not_equal(pid.slice(1), pid.slice(0, n - 1)).to_numpy(zero_copy_only=False), bool)
    starts = np.flatnonzero(change)
    ptr = np.r_[starts, n].astype(np.int64)
    peak, start = _max_in_window(ptr, times, int(window))
    return pa.table({"post_id": pid.take(pa.array(starts)), "peak": pa.array(peak), "peak_start": pa.array(start)},
                    schema=PEAK_SCHEMA)


def gather(engine, fake_ids: pa.Array, window: int = 3 * HOUR) -> pa.Table:
    """post_id, author, total, n_fake, peak, peak_start, baseline for the posts fake actors interacted with,
    sorted by post_id."""
    tag = f"__ef{next(_ids)}"
    fake, counts, authors = f"{tag}_fake", f"{tag}_counts", f"{tag}_authors"
    engine.register(fake, pa.table({"account_id": pa.array(fake_ids, pa.string())}))
    try:
        engine.materialize(counts, (
            "SELECT x.post_id, count(*) AS total, count(f.account_id) AS n_fake FROM interactions x "
            "JOIN posts p ON p.post_id = x.post_id JOIN accounts a ON a.account_id = x.actor_id "
            f"LEFT JOIN {fake} f ON f.account_id = x.actor_id GROUP BY x.post_id"))
        cand = engine.sql(f"SELECT c.post_id, p.account_id AS author, c.total, c.n_fake FROM {counts} c "
                          f"JOIN posts p ON p.post_id = c.post_id WHERE c.n_fake > 0 ORDER BY c.post_id")
        if cand.num_rows == 0:
            return cand
        engine.register(authors, pa.table({"account_id": cand.column("author").unique()}))
        base = engine.sql(f"SELECT p.account_id, median(coalesce(c.total, 0) - coalesce(c.n_fake, 0)) AS med "
                          f"FROM posts p JOIN {authors} w ON w.account_id = p.account_id "
                          f"LEFT JOIN {counts} c ON c.post_id = p.post_id GROUP BY p.account_id")
        peaks = engine.group_apply(
            "SELECT x.post_id, CAST(epoch(x.at) AS BIGINT) AS t FROM interactions x "
            f"JOIN posts p ON p.post_id = x.post_id JOIN {fake} f ON f.account_id = x.actor_id",
            ["post_id"], functools.partial(_peaks, int(window)), PEAK_SCHEMA, order_by=["t"])
    finally:
        for name in (fake, counts, authors):
            engine.drop(name)
    med = dict(zip(base.column(0).to_pylist(), base.column(1).to_pylist()))
    pk = dict(zip(peaks.column("post_id").to_pylist(), zip(peaks.column("peak").to_pylist(),
                                                           peaks.column("peak_start").to_pylist())))
    posts = cand.column("post_id").to_pylist()
    got = [pk.get(p, (0, 0)) for p in posts]
    return cand.append_column("peak", pa.array([g[0] for g in got], pa.int64())) \
        .append_column("peak_start", pa.array([g[1] for g in got], pa.int64())) \
        .append_column("baseline", pa.array([float(med.get(a) or 0.0) for a in cand.column("author").to_pylist()],
                                            pa.float64()))
