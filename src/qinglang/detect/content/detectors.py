"""`scan --only content`: screen every post of the lake into content_violation findings.

Posts stream from the engine in batches, joined to their author's tier; batches
are screened in worker processes (`[content] workers`, default: all cores) that
inherit the loaded screener. Each (post, category) scoring at least 0.05 becomes a
finding with evidence {author, tier, decision, spans, signals}.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp

import pyarrow as pa

from qinglang.detect.base import DetectContext, Detector
from qinglang.domain.findings import FINDINGS_SCHEMA, MIN_EXPORT_SCORE, FindingKind, conform

_WORKER_SCREENER = None


def _screen_chunk(args):
    texts, tiers, hashes = args
    return _findings_rows(_WORKER_SCREENER, texts, tiers, hashes)


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
    global _WORKER_SCREENER
    from qinglang.detect.content.store import load_screener

    cfg = ctx.settings.section("content")
    screener = load_screener(ctx.workspace.home, cfg)
    tables = ctx.engine.tables()
    total = int(ctx.engine.sql("SELECT count(*) AS n FROM posts").column("n")[0].as_py())
    workers = int(cfg.get("workers", os.cpu_count() or 1))
    chunk = int(cfg.get("chunk_posts", 20_000))
    cols = {n: [] for n in FINDINGS_SCHEMA.names}
    done = 0

    def add(post_ids, authors, per_post):
        for pid, author, rows in zip(post_ids, authors, per_post):
            for c, s, ev in rows:
                ev = {"author": author, **ev}
                cols["kind"].append(FindingKind.CONTENT_VIOLATION.value)
                cols["subject_id"].append(pid)
                cols["related_id"].append("")
                cols["score"].append(float(s))
                cols["category"].append(c)
                cols["evidence"].append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
                cols["account_id"].append(author)

    post_columns = ctx.engine.sql("SELECT * FROM posts LIMIT 0").column_names
    batches = ctx.engine.batches(posts_query(tables, post_columns), batch_rows=chunk)
    ctx.report("content", 0, total)
    if workers > 1 and total > chunk:
        _WORKER_SCREENER = screener
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
                pending = []
                for b in batches:
                    d = b.to_pydict()
                    args = (d["text"], d["tier"], d["image_hashes"])
                    pending.append((d["post_id"], d["account_id"], pool.submit(_screen_chunk, args)))
                    while len(pending) > workers * 2:
                        pids, authors, fut = pending.pop(0)
                        add(pids, authors, fut.result())
                        done += len(pids)
                        ctx.report("content", done, total)
                for pids, authors, fut in pending:
                    add(pids, authors, fut.result())
                    done += len(pids)
                    ctx.report("content", done, total)
        finally:
            _WORKER_SCREENER = None
    else:
        for b in batches:
            d = b.to_pydict()
            add(d["post_id"], d["account_id"], _findings_rows(screener, d["text"], d["tier"], d["image_hashes"]))
            done += len(d["post_id"])
            ctx.report("content", done, total)
    return conform(pa.table(cols, schema=FINDINGS_SCHEMA))


DETECTORS = [Detector("content_violation", "content", run, needs=("posts",))]
