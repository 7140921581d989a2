"""`simulate()`: plan the platform, generate every table, write them and the truth."""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from qinglang.sim import enforcement, farms, graph, identities, interactions, population, posts, profiles
from qinglang.sim import reincarnation, reports, truth
from qinglang.sim.categories import CATEGORY_NAMES
from qinglang.sim.config import PLATFORM_START, SimConfig
from qinglang.sim.rng import stream
from qinglang.sim.writer import EXT, TableWriter, strings, ts, write_table

Progress = Callable[[str, int, int], None]
TABLES = ("accounts", "follows", "posts", "interactions", "identities", "enforcements", "reports")
STEPS = ("plan", "profiles", "follows", "identities", "posts", "interactions", "reports", "accounts", "truth")


@dataclass
class SimSummary:
    """What a simulation wrote: row counts per table and per ground-truth file."""

    out: str
    seed: int
    accounts: int
    fmt: str
    follow_order: str
    tables: dict[str, int] = field(default_factory=dict)
    truth: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Run:
    """Everything generated so far (the context the truth writer reads)."""

    cfg: SimConfig


def _clean(out: Path) -> None:
    """Remove table files and truth left by an earlier run (only what the simulator writes)."""
    for t in TABLES:
        for ext in EXT.values():
            p = out / f"{t}{ext}"
            if p.exists():
                p.unlink()
    if (out / "truth").is_dir():
        shutil.rmtree(out / "truth")


def simulate(cfg: SimConfig, progress: Progress | None = None) -> SimSummary:
    """Generate a synthetic platform snapshot into `cfg.out` (see docs/simulator.md)."""
    t_start = time.perf_counter()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    total = len(STEPS)
    step = 0

    def tick(name: str) -> None:
        nonlocal step
        if progress:
            progress(name, step, total)
        step += 1

    seed = cfg.seed
    run = Run()
    run.cfg = cfg
    summary = SimSummary(out=str(out), seed=seed, accounts=cfg.accounts, fmt=cfg.fmt, follow_order=cfg.follow_order)

    tick("plan")
    pop = population.build(cfg, stream(seed, "population"))
    enf = enforcement.plan(cfg, pop, stream(seed, "enforcement"))
    cb, dec = reincarnation.plan(cfg, pop, enf, stream(seed, "reincarnation"))
    fm = farms.plan(cfg, pop, stream(seed, "farms"))
    perm = stream(seed, "ids").permutation(pop.n)
    ids = [f"u{x + 1:08d}" for x in perm.tolist()]
    id_array = pa.array(ids, pa.string())
    run.pop, run.enf, run.cb, run.dec, run.farms, run.ids, run.id_array = pop, enf, cb, dec, fm, ids, id_array
    ban_until_of = np.zeros(pop.n, np.int64)
    ban_until_of[enf.closed] = enf.ban_until
    run.ban_until_of = ban_until_of

    tick("profiles")
    prof = profiles.build(pop, fm, enf, cb, dec, stream(seed, "profiles"))
    run.prof = prof

    tick("follows")
    sub = (lambda s, d, t: progress(s, d, t)) if progress else None
    g = graph.build(cfg, pop, fm, cb, dec, stream(seed, "graph"), progress=sub)
    summary.tables["follows"] = _write_follows(cfg, g, id_array, sub)
    g.release()
    run.graph = g

    tick("identities")
    ident = identities.build(pop, fm, cb, dec, stream(seed, "identities"))
    t = pa.table({
        "account_id": id_array.take(pa.array(ident.account)),
        "kind": strings([identities.KINDS[k] for k in ident.kind.tolist()]),
        "value": identities.format_values(ident),
        "first_seen": ts(ident.first_seen),
        "last_seen": ts(ident.last_seen),
    })
    summary.tables["identities"] = write_table(out, "identities", cfg.fmt, t, cfg.chunk_rows)
    del t, ident

    tick("posts")
    ps = posts.build(cfg, pop, fm, prof, cb, stream(seed, "posts"))
    post_ids = ps.ids()
    run.posts, run.post_ids = ps, post_ids

    tick("interactions")
    it = interactions.build(cfg, pop, fm, ps, g, stream(seed, "interactions"))
    t = pa.table({
        "actor_id": id_array.take(pa.array(it.actor)),
        "post_id": post_ids.take(pa.array(it.post)),
        "kind": strings([interactions.KINDS[k] for k in it.kind.tolist()]),
        "at": ts(it.at),
    })
    summary.tables["interactions"] = write_table(out, "interactions", cfg.fmt, t, cfg.chunk_rows)
    del t
    it.actor = it.post = it.kind = it.at = None
    run.inter = it

    tick("reports")
    rp = reports.build(pop, fm, ps, enf, stream(seed, "reports"))
    report_ids = pa.array([f"r{i:08d}" for i in range(rp.rows)], pa.string())
    run.reports, run.report_ids = rp, report_ids
    t = pa.table({
        "report_id": report_ids,
        "reporter_id": id_array.take(pa.array(rp.reporter)),
        "account_id": id_array.take(pa.array(rp.account)),
        "post_id": pa.array([None if p < 0 else f"p{p:09d}" for p in rp.post.tolist()], pa.string()),
        "category": strings([reports.REPORT_CATEGORIES[c] for c in rp.category.tolist()]),
        "created_at": ts(rp.created),
        "text": strings(rp.text),
    })
    summary.tables["reports"] = write_table(out, "reports", cfg.fmt, t, cfg.chunk_rows)

    # Posts (now that interaction counts are known) and enforcements.
    t = pa.table({
        "post_id": post_ids,
        "account_id": id_array.take(pa.array(ps.author)),
        "created_at": ts(ps.created),
        "text": strings(ps.text),
        "image_hashes": pa.array(ps.images, pa.list_(pa.string())),
        "repost_of": strings(ps.repost_of),
        "like_count": pa.array(it.like_count, pa.int64()),
        "repost_count": pa.array(it.repost_count, pa.int64()),
        "comment_count": pa.array(it.comment_count, pa.int64()),
    })
    summary.tables["posts"] = write_table(out, "posts", cfg.fmt, t, cfg.chunk_rows)
    del t
    t = pa.table({
        "account_id": id_array.take(pa.array(enf.account)),
        "action": strings([enforcement.ACTIONS[a] for a in enf.action.tolist()]),
        "category": strings([CATEGORY_NAMES[c] for c in enf.category.tolist()]),
        "decided_at": ts(enf.decided),
        "until": ts(enf.until, enf.until == 0),
    })
    summary.tables["enforcements"] = write_table(out, "enforcements", cfg.fmt, t, cfg.chunk_rows)

    tick("accounts")
    posts_count = np.bincount(ps.author, minlength=pop.n)
    t = pa.table({
        "account_id": id_array,
        "nickname": strings(prof.nickname),
        "created_at": ts(pop.created),
        "bio": strings([b if b else None for b in prof.bio]),
        "avatar_hash": strings([None if h == 0 else f"{h:016x}" for h in prof.avatar.tolist()]),
        "verified": pa.array(pop.verified, pa.bool_()),
        "status": strings([population.STATUS_NAMES[s] for s in pop.status.tolist()]),
        "followers_count": pa.array(g.followers_count, pa.int64()),
        "following_count": pa.array(g.following_count, pa.int64()),
        "posts_count": pa.array(posts_count, pa.int64()),
        "last_active_at": ts(pop.last_active),
    })
    summary.tables["accounts"] = write_table(out, "accounts", cfg.fmt, t, cfg.chunk_rows)
    del t

    tick("truth")
    summary.truth = truth.write_all(run)
    truth.write_manifest(cfg, dict(sorted(summary.tables.items())), summary.truth)
    summary.tables = {k: summary.tables[k] for k in TABLES}
    summary.seconds = round(time.perf_counter() - t_start, 2)
    if progress:
        progress("done", total, total)
    return summary


def _write_follows(cfg: SimConfig, g: graph.Graph, id_array: pa.Array, progress: Progress | None) -> int:
    w = TableWriter(cfg.out, "follows", cfg.fmt)
    n = g.n_edges
    step = cfg.chunk_rows
    for s in range(0, max(n, 1), step):
        e = min(n, s + step)
        cols = {
            "follower_id": id_array.take(pa.array(g.follower[s:e])),
            "followee_id": id_array.take(pa.array(g.followee[s:e])),
        }
        if cfg.emit_time:
            cols["followed_at"] = ts(g.t[s:e].astype(np.int64) + PLATFORM_START)
        if cfg.emit_rank:
            cols["follow_rank"] = pa.array(g.rank[s:e].astype(np.int64))
        w.write(pa.table(cols))
        if progress:
            progress("follows: write", e, n)
    w.close()
    return w.rows
