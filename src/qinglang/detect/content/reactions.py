"""Readers' reactions to a post, gathered from the lake: the texts of its first reposts.

A repost (a post whose `repost_of` is the post) carries the reposter's comment; on Weibo-style
platforms its text is "comment//@author:forwarded text", and only the comment (before the first
"//@") is the reaction (classifier.join_reactions strips the rest). The first `limit` reposts by
time are taken, as in the CED rumour data set (its first 20 reposts' comments), which is what the
reaction models are measured on.
"""

from __future__ import annotations

import pyarrow as pa

DEFAULT_LIMIT = 20

#: Portable SQL (DuckDB and Spark): the first reposts of every post, at most `limit` per post.
FIRST_REPOSTS_SQL = """
SELECT repost_of, text FROM (
  SELECT repost_of, text, row_number() OVER (PARTITION BY repost_of ORDER BY created_at, post_id) AS rn
  FROM posts
  WHERE repost_of IS NOT NULL AND text IS NOT NULL AND text <> ''
) r
WHERE rn <= {limit}
ORDER BY repost_of, rn
"""


#: The same, one row per post with its reactions as a list (array_agg exists on DuckDB and Spark; its
#: order is not defined, so readers put the texts in a canonical order).
REACTIONS_SQL = """
SELECT repost_of, array_agg(text) AS reactions FROM (
  SELECT repost_of, text, row_number() OVER (PARTITION BY repost_of ORDER BY created_at, post_id) AS rn
  FROM posts
  WHERE repost_of IS NOT NULL AND text IS NOT NULL AND text <> ''
) r
WHERE rn <= {limit}
GROUP BY repost_of
"""


def group_reactions(table: pa.Table) -> dict[str, list[str]]:
    """{post_id: [reaction texts in order]} from rows (repost_of, text) sorted by post and time."""
    out: dict[str, list[str]] = {}
    for pid, text in zip(table.column("repost_of").to_pylist(), table.column("text").to_pylist()):
        out.setdefault(pid, []).append(text)
    return out


def first_reposts(engine, limit: int = DEFAULT_LIMIT) -> dict[str, list[str]]:
    """The first `limit` reposts' texts of every post of the lake that has reposts."""
    if "posts" not in engine.tables():
        return {}
    cols = engine.sql("SELECT * FROM posts LIMIT 0").column_names
    if "repost_of" not in cols:
        return {}
    return group_reactions(engine.sql(FIRST_REPOSTS_SQL.format(limit=int(limit))))
