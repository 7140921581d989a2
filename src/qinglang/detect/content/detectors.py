"""`scan --only content`: screen every post of the lake into content_violation findings.

Posts are screened where the engine keeps them (`engine.map_batches`): in forked worker
processes on DuckDB (`[content] workers`, default: all cores), on the executors on Spark,
which load the workspace's screener themselves (its inputs are shipped to them when they
do not share this machine's files). When the trained model has reaction models (rumours),
the query also brings each post's first reposts' texts (reactions.py), screened with the
post as `qinglang eval content` measures on CED. Each (post, category) scoring at least
0.05 becomes a finding with evidence {author, tier, decision, spans, signals}.
"""

from __future__ import annotations

import functools
import json
import os

import pyarrow as pa

from qinglang.detect.base import DetectContext, Detector
from qinglang.domain.findings import FINDINGS_SCHEMA, MIN_EXPORT_SCORE, FindingKind, conform

#: the workspace folders a screener is built from (detect/content/store.py)
SCREENER_INPUTS = ("content", "models/content")
_WORKER_HOMES: dict[str, str] = {}


def screener_source(home, engine) -> dict:
    """How workers find the workspace's screener inputs (shipped to them when they cannot read this machine's)."""
    parts = {rel: engine.ship(str(home / rel)) for rel in SCREENER_INPUTS if (home / rel).exists()}
    return {"home": str(home), "parts": parts}


def _worker_screener(source: dict, cfg: dict):
    from pathlib import Path

    from qinglang.detect.content.store import load_screener
    from qinglang.engines.apply import shipped

    home = source["home"]
    if not Path(home).is_dir():  # a cluster worker: a home of the shipped copies
        key = json.dumps(source, sort_keys=True)
        if key not in _WORKER_HOMES:
            import tempfile

            tmp = Path(tempfile.mkdtemp(prefix="qinglang-screener-"))
            for rel, token in source["parts"].items():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / rel).symlink_to(shipped(tuple(token)))
            _WORKER_HOMES[key] = str(tmp)
        home = _WORKER_HOMES[key]
    return load_screener(Path(home), cfg)


def _screen_batch(source: dict, cfg: dict, batch: pa.RecordBatch) -> pa.Table:
    """Findings of a batch of posts (post_id, account_id, text, image_hashes, tier)."""
    screener = _worker_screener(source, cfg)
    d = batch.to_pydict()
    cols = {n: [] for n in FINDINGS_SCHEMA.names}
    reactions = d.get("reactions")  # classifier.join_reactions puts them in a canonical order
    per_post = _findings_rows(screener, d["text"], d["tier"], d["image_hashes"], reactions)
    for pid, author, rows in zip(d["post_id"], d["account_id"], per_post):
        for c, s, ev in rows:
            ev = {"author": author, **ev}
            cols["kind"].append(FindingKind.CONTENT_VIOLATION.value)
            cols["subject_id"].append(pid)
            cols["related_id"].append("")
            cols["score"].append(float(s))
            cols["category"].append(c)
            cols["evidence"].append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
            cols["account_id"].append(author)
    return pa.table(cols, schema=FINDINGS_SCHEMA)


def _findings_rows(screener, texts, tiers, hashes, reactions=None):
    """Per post: list of (category, score, evidence-without-author) for scores >= 0.05."""
    results = screener.screen(texts, tier=tiers, image_hashes=hashes, reactions=reactions)
    out = []
    for r in results:
        rows = []
        for c, s in r.categories.items():
            if s < MIN_EXPORT_SCORE:
                continue
            rows.append((c, s, {
                "tier": r.tier,
                "decision": _decision_for(screener, c, s, r.tier),
                "spans": [sp for sp in r.spans if sp["category"] == c],
                "signals": r.signals.get(c, {}),
            }))
        out.append(rows)
    return out


def _decision_for(screener, category: str, score: float, tier: str) -> str:
    review, block = screener.pack.thresholds_for(category, tier)
    return "block" if score >= block else "review" if score >= review else "pass"


def posts_query(tables: set[str], post_columns: list[str], reactions_limit: int = 0) -> str:
    """Posts with their author's tier and (reactions_limit > 0) the texts of their first reposts."""
    hashes = "p.image_hashes" if "image_hashes" in post_columns else "CAST(NULL AS VARCHAR[])"
    tier = "coalesce(t.tier, 'regular')" if "tiers" in tables else "'regular'"
    q = f"SELECT p.post_id, p.account_id, p.text, {hashes} AS image_hashes, {tier} AS tier"
    joins = " LEFT JOIN tiers t ON t.account_id = p.account_id" if "tiers" in tables else ""
    if reactions_limit > 0 and "repost_of" in post_columns:
        from qinglang.detect.content.reactions import REACTIONS_SQL

        q += ", rx.reactions AS reactions"
        joins += f" LEFT JOIN ({REACTIONS_SQL.format(limit=int(reactions_limit))}) rx ON rx.repost_of = p.post_id"
    else:
        q += ", CAST(NULL AS VARCHAR[]) AS reactions"
    return q + " FROM posts p" + joins


def run(ctx: DetectContext) -> pa.Table:
    from qinglang.detect.content.store import load_screener

    cfg = ctx.settings.section("content")
    home = ctx.workspace.home
    screener = load_screener(home, cfg)  # a bad policy fails here, once; forked workers inherit the loaded screener
    eng = ctx.engine
    total = int(eng.sql("SELECT count(*) AS n FROM posts").column("n")[0].as_py())
    workers = int(cfg.get("workers", os.cpu_count() or 1))
    chunk = int(cfg.get("chunk_posts", 20_000))
    post_columns = eng.sql("SELECT * FROM posts LIMIT 0").column_names
    from qinglang.detect.content.reactions import DEFAULT_LIMIT

    reactions_limit = (int(cfg.get("reactions_per_post", DEFAULT_LIMIT))
                       if screener.model is not None and screener.model.uses_reactions else 0)
    ctx.report("content", 0, total)
    out = eng.map_batches(posts_query(eng.tables(), post_columns, reactions_limit),
                          functools.partial(_screen_batch, screener_source(home, eng), cfg), FINDINGS_SCHEMA,
                          batch_rows=chunk, workers=workers if total > chunk else 1,
                          progress=lambda done: ctx.report("content", done, total))
    ctx.report("content", total, total)
    return conform(out)


DETECTORS = [Detector("content_violation", "content", run, needs=("posts",))]
