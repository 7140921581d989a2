"""Derived tables computed from a lake version: account statistics and tiers.

`tiers` has one row per account: followers, following, posts and engagement
(profile counts when given, else derived from follows/posts/interactions), the
influence score and the tier.

Influence score = log10(1 + followers) + 0.5 * log10(1 + engagement) + 0.5 * verified,
where engagement is the likes, reposts and comments the account's posts received
(the larger of the posts' counters and the interactions table). Relative tiers
rank accounts by score (ties by account_id): the top `head_share` are head, the
next `large_share` large. Absolute tiers use follower thresholds.
"""

from __future__ import annotations

import duckdb

from qinglang.config import TierConfig

TIERS = "derived/tiers"


def tiers_sql(tables: set[str], cfg: TierConfig) -> str:
    """SQL over views named like the lake tables producing the tiers table."""
    parts = ["WITH a AS (SELECT account_id, verified, status, followers_count, following_count, posts_count FROM accounts)"]
    has_follows = "follows" in tables
    has_posts = "posts" in tables
    has_inter = "interactions" in tables and has_posts
    if has_follows:
        parts.append(", fin AS (SELECT followee_id AS account_id, count(*) AS n FROM follows GROUP BY 1)")
        parts.append(", fout AS (SELECT follower_id AS account_id, count(*) AS n FROM follows GROUP BY 1)")
    if has_posts:
        parts.append(
            ", p AS (SELECT account_id, count(*) AS n, "
            "sum(coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(comment_count, 0)) AS eng "
            "FROM posts GROUP BY 1)"
        )
    if has_inter:
        parts.append(
            ", i AS (SELECT p2.account_id, count(*) AS n FROM interactions x JOIN posts p2 USING (post_id) GROUP BY 1)"
        )
    followers = "coalesce(a.followers_count, fin.n, 0)" if has_follows else "coalesce(a.followers_count, 0)"
    following = "coalesce(a.following_count, fout.n, 0)" if has_follows else "coalesce(a.following_count, 0)"
    posts = "coalesce(a.posts_count, p.n, 0)" if has_posts else "coalesce(a.posts_count, 0)"
    eng_terms = ["0"]
    if has_posts:
        eng_terms.append("coalesce(p.eng, 0)")
    if has_inter:
        eng_terms.append("coalesce(i.n, 0)")
    engagement = f"greatest({', '.join(eng_terms)})"
    joins = ""
    if has_follows:
        joins += " LEFT JOIN fin USING (account_id) LEFT JOIN fout USING (account_id)"
    if has_posts:
        joins += " LEFT JOIN p USING (account_id)"
    if has_inter:
        joins += " LEFT JOIN i USING (account_id)"
    parts.append(
        f", s AS (SELECT a.account_id, {followers}::BIGINT AS followers, {following}::BIGINT AS following, "
        f"{posts}::BIGINT AS posts, {engagement}::BIGINT AS engagement, coalesce(a.verified, false) AS verified "
        f"FROM a{joins})"
    )
    score = "log10(1 + followers) + 0.5 * log10(1 + engagement) + CASE WHEN verified THEN 0.5 ELSE 0 END"
    parts.append(f", sc AS (SELECT *, round({score}, 6) AS influence FROM s)")
    if cfg.mode == "absolute":
        tier = (
            f"CASE WHEN followers >= {int(cfg.head_min_followers)} THEN 'head' "
            f"WHEN followers >= {int(cfg.large_min_followers)} THEN 'large' ELSE 'regular' END"
        )
        parts.append(f"SELECT *, {tier} AS tier FROM sc ORDER BY account_id")
    else:
        parts.append(
            ", r AS (SELECT *, row_number() OVER (ORDER BY influence DESC, account_id) AS rnk, count(*) OVER () AS total FROM sc)"
        )
        tier = (
            f"CASE WHEN rnk <= ceil(total * {cfg.head_share}) THEN 'head' "
            f"WHEN rnk <= ceil(total * {cfg.head_share + cfg.large_share}) THEN 'large' ELSE 'regular' END"
        )
        parts.append(
            f"SELECT account_id, followers, following, posts, engagement, verified, influence, {tier} AS tier "
            f"FROM r ORDER BY account_id"
        )
    return "\n".join(parts)


def write_tiers(con: duckdb.DuckDBPyConnection, tables: set[str], cfg: TierConfig, out_file: str) -> None:
    con.execute(f"COPY ({tiers_sql(tables, cfg)}) TO '{out_file}' (FORMAT parquet, COMPRESSION zstd)")
