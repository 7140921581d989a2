"""Naive baselines over a simulated snapshot and its truth.

They show that the simulator does not grade itself: each is what a hurried
platform engineer would try first, and at the default difficulty none should
reach F1 0.6 (tests/sim/test_baselines.py). Each function takes the snapshot
folder (any of the three formats) and returns a Score.

- empty_bio_fakes: an account is fake if it follows a head account (top 0.5% by
  followers) and has an empty bio. Scored per account against fake_accounts.csv.
- exact_name_reincarnations: an account registered after a closure whose
  nickname equals the closed account's nickname continues it. Scored per
  (new, banned) pair against reincarnations.csv.
- keyword_content: a post containing any word of a small raw keyword list
  violates. Scored per post against posts.csv (category != none).
- daily_bursts: for an account with at least 100 followers, a day on which it
  gained more than 5x its mean daily follows (and at least 10) is a burst;
  consecutive burst days form one episode. Precision = episodes overlapping a
  purchase of that account / episodes; recall = purchases overlapped by an
  episode / purchases (bursts.csv). Needs followed_at (None for rank-only data).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

TABLES = ("accounts", "follows", "posts", "interactions", "identities", "enforcements", "reports")
#: The raw keyword list of the content baseline.
KEYWORDS = (
    # abuse
    "傻逼", "脑残", "去死", "废物", "贱人", "智障", "人渣", "垃圾", "滚",
    # soft porn
    "约炮", "一夜情", "裸聊", "色情", "私房照", "福利", "性感", "写真", "寂寞", "约吗", "大尺度",
    # vulgar marketing
    "加微信", "微信", "加V", "刷单", "兼职", "涨粉", "互粉", "震惊", "代购", "减肥药", "网贷",
    # illegal conduct
    "代开发票", "网赌", "博彩", "赌博", "办证", "洗钱",
    # heroes and martyrs
    "假英雄", "洗脑", "编出来的",
    # rumours
    "扩散", "紧急通知", "内部消息", "不转不是中国人", "致癌",
)
BURST_FACTOR = 5.0
BURST_MIN_DAY = 10
BURST_MIN_FOLLOWERS = 100


@dataclass
class Score:
    name: str
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    def as_dict(self) -> dict:
        return asdict(self)


def _score(name: str, tp: int, fp: int, fn: int) -> Score:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return Score(name, round(p, 4), round(r, 4), round(f, 4), int(tp), int(fp), int(fn))


def connect(out: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per snapshot table and per truth file."""
    out = Path(out)
    con = duckdb.connect()
    for t in TABLES:
        for ext, reader in ((".parquet", "read_parquet"), (".csv", "read_csv"), (".jsonl", "read_json")):
            p = out / f"{t}{ext}"
            if p.exists():
                opts = ", header=true, all_varchar=true" if ext == ".csv" else (
                    ", format='newline_delimited'" if ext == ".jsonl" else "")
                con.execute(f"CREATE VIEW {t} AS SELECT * FROM {reader}('{p.as_posix()}'{opts})")
                break
    for p in sorted((out / "truth").glob("*.csv")):
        con.execute(f"CREATE VIEW truth_{p.stem} AS SELECT * FROM read_csv('{p.as_posix()}', header=true)")
    return con


def empty_bio_fakes(out: Path) -> Score:
    con = connect(out)
    n = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    k = max(5, round(0.005 * n))
    tp, fp, fn = con.execute(
        f"""
        WITH heads AS (
            SELECT account_id FROM accounts ORDER BY CAST(followers_count AS BIGINT) DESC, account_id LIMIT {k}),
        flagged AS (
            SELECT DISTINCT f.follower_id AS account_id
            FROM follows f JOIN heads h ON f.followee_id = h.account_id
            JOIN accounts a ON a.account_id = f.follower_id
            WHERE a.bio IS NULL OR trim(a.bio) = ''),
        j AS (
            SELECT CAST(t.is_fake AS INT) AS y, (fl.account_id IS NOT NULL)::INT AS p
            FROM truth_fake_accounts t LEFT JOIN flagged fl ON fl.account_id = t.account_id)
        SELECT sum(y * p), sum((1 - y) * p), sum(y * (1 - p)) FROM j
        """
    ).fetchone()
    return _score("empty_bio_fakes", tp, fp, fn)


def exact_name_reincarnations(out: Path) -> Score:
    con = connect(out)
    tp, fp, fn = con.execute(
        """
        WITH banned AS (
            SELECT e.account_id, min(CAST(e.decided_at AS TIMESTAMPTZ)) AS closed_at, a.nickname
            FROM enforcements e JOIN accounts a USING (account_id)
            WHERE e.action = 'close' GROUP BY e.account_id, a.nickname),
        pred AS (
            SELECT DISTINCT a.account_id AS new_account_id, b.account_id AS banned_account_id
            FROM accounts a JOIN banned b ON a.nickname = b.nickname
            WHERE a.account_id <> b.account_id AND CAST(a.created_at AS TIMESTAMPTZ) > b.closed_at),
        truth AS (SELECT new_account_id, banned_account_id FROM truth_reincarnations)
        SELECT
            (SELECT count(*) FROM pred JOIN truth USING (new_account_id, banned_account_id)),
            (SELECT count(*) FROM pred ANTI JOIN truth USING (new_account_id, banned_account_id)),
            (SELECT count(*) FROM truth ANTI JOIN pred USING (new_account_id, banned_account_id))
        """
    ).fetchone()
    return _score("exact_name_reincarnations", tp, fp, fn)


def keyword_content(out: Path, keywords: tuple[str, ...] = KEYWORDS) -> Score:
    con = connect(out)
    cond = " OR ".join(f"contains(p.text, '{k}')" for k in keywords)
    tp, fp, fn = con.execute(
        f"""
        WITH j AS (
            SELECT (t.category <> 'none')::INT AS y, coalesce(({cond}), false)::INT AS p
            FROM posts p JOIN truth_posts t USING (post_id))
        SELECT sum(y * p), sum((1 - y) * p), sum(y * (1 - p)) FROM j
        """
    ).fetchone()
    return _score("keyword_content", tp, fp, fn)


def daily_bursts(out: Path) -> Score | None:
    con = connect(out)
    cols = [r[0] for r in con.execute("DESCRIBE follows").fetchall()]
    if "followed_at" not in cols:
        return None
    tp_ep, n_ep, hit, n_p = con.execute(
        f"""
        WITH f AS (
            SELECT followee_id AS account_id, CAST(CAST(followed_at AS TIMESTAMPTZ) AS DATE) AS day FROM follows),
        days AS (SELECT account_id, day, count(*) AS c FROM f GROUP BY ALL),
        stats AS (
            SELECT account_id, sum(c) AS total, min(day) AS first_day,
                   sum(c) / (date_diff('day', min(day), DATE '2026-06-30') + 1) AS mean_day
            FROM days GROUP BY account_id HAVING sum(c) >= {BURST_MIN_FOLLOWERS}),
        flagged AS (
            SELECT d.account_id, d.day FROM days d JOIN stats s USING (account_id)
            WHERE d.c > {BURST_FACTOR} * s.mean_day AND d.c >= {BURST_MIN_DAY}),
        runs AS (
            SELECT account_id, day,
                   date_diff('day', DATE '2000-01-01', day)
                   - row_number() OVER (PARTITION BY account_id ORDER BY day) AS grp
            FROM flagged),
        episodes AS (SELECT account_id, min(day) AS s, max(day) AS e FROM runs GROUP BY account_id, grp),
        purchases AS (
            SELECT purchase_id, account_id, CAST(CAST("start" AS TIMESTAMPTZ) AS DATE) AS s,
                   CAST(CAST("end" AS TIMESTAMPTZ) AS DATE) AS e FROM truth_bursts),
        ep_hit AS (
            SELECT DISTINCT ep.account_id, ep.s FROM episodes ep JOIN purchases p
            ON p.account_id = ep.account_id AND p.s <= ep.e AND ep.s <= p.e),
        p_hit AS (
            SELECT DISTINCT p.purchase_id FROM purchases p JOIN episodes ep
            ON p.account_id = ep.account_id AND p.s <= ep.e AND ep.s <= p.e)
        SELECT (SELECT count(*) FROM ep_hit), (SELECT count(*) FROM episodes),
               (SELECT count(*) FROM p_hit), (SELECT count(*) FROM purchases)
        """
    ).fetchone()
    p = tp_ep / n_ep if n_ep else 0.0
    r = hit / n_p if n_p else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return Score("daily_bursts", round(p, 4), round(r, 4), round(f, 4), int(tp_ep), int(n_ep - tp_ep), int(n_p - hit))


def run_all(out: Path) -> dict[str, Score | None]:
    return {
        "empty_bio_fakes": empty_bio_fakes(out),
        "exact_name_reincarnations": exact_name_reincarnations(out),
        "keyword_content": keyword_content(out),
        "daily_bursts": daily_bursts(out),
    }


if __name__ == "__main__":  # pragma: no cover - a convenience for manual runs
    import sys

    for name, s in run_all(Path(sys.argv[1])).items():
        print(name, s.as_dict() if s else "n/a")
