"""`scan --only content`: screen every post of the lake into content_violation findings.

Posts are screened where the engine keeps them (`engine.map_batches`): in forked worker
processes on DuckDB (`[content] workers`, default: all cores), on the executors on Spark,
which load the workspace's screener themselves (its inputs are shipped to them when they
do not share this machine's files). Each (post, category) scoring at least 0.05 becomes
a finding with evidence {author, tier, decision, spans, signals}.
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
    per_post = _findings_rows(screener, d["text"], d["tier"], d["image_hashes"])
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


def _findings_rows(screener, texts, tiers, hashes):
    """Per post: list of (category, score, evidence-without-author) for scores >= 0.05."""
    results = screener.screen(texts, tier=tiers, image_hashes=hashes)
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


def posts_query(tables: set[str], post_columns: list[str]) -> str:
    hashes = "p.image_hashes" if "image_hashes" in post_columns else "CAST(NULL AS VARCHAR[])"
    if "tiers" in tables:
        return (f"SELECT p.post_id, p.account_id, p.text, {hashes} AS image_hashes, coalesce(t.tier, 'regular') AS tier "
                "FROM posts p LEFT JOIN tiers t ON t.account_id = p.account_id")
    return f"SELECT p.post_id, p.account_id, p.text, {hashes} AS image_hashes, 'regular' AS tier FROM posts p"


def run(ctx: DetectContext) -> pa.Table:
    from qinglang.detect.content.store import load_screener

    cfg = ctx.settings.section("content")
    home = ctx.workspace.home
    load_screener(home, cfg)  # a bad policy fails here, once; forked workers inherit the loaded screener
    eng = ctx.engine
    total = int(eng.sql("SELECT count(*) AS n FROM posts").column("n")[0].as_py())
    workers = int(cfg.get("workers", os.cpu_count() or 1))
    chunk = int(cfg.get("chunk_posts", 20_000))
    post_columns = eng.sql("SELECT * FROM posts LIMIT 0").column_names
    ctx.report("content", 0, total)
    out = eng.map_batches(posts_query(eng.tables(), post_columns),
                          functools.partial(_screen_batch, screener_source(home, eng), cfg), FINDINGS_SCHEMA,
                          batch_rows=chunk, workers=workers if total > chunk else 1,
                          progress=lambda done: ctx.report("content", done, total))
    ctx.report("content", total, total)
    return conform(out)


DETECTORS = [Detector("content_violation", "content", run, needs=("posts",))]
