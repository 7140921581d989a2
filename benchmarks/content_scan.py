"""`qinglang scan --only content` over a lake of N posts (default 1,000,000), on all cores.

    python benchmarks/content_scan.py [--small] [--posts N] [--workers W] [--model] [--reactions]

Builds a snapshot of N posts (texts drawn from COLD + CED when ../shared/datasets is
present, else from the simulator) by 10,000 accounts, ingests it, optionally trains a
content model on COLD train (--model; with --reactions also on CED rumours with their
first reposts' comments, and 10% of the posts become reposts carrying CED reactions, so
the scan gathers reactions from the lake), then times the scan with 1 worker (peer: one
core) and with W workers (default: all cores). Prints posts/s, the speed-up and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def texts_pool() -> list[str]:
    from screening import load_posts, shared

    root = shared()
    if root is not None:
        return load_posts(root)[0]
    from qinglang.sim import SimConfig, simulate
    import pyarrow.parquet as pq

    tmp = Path(tempfile.mkdtemp())
    simulate(SimConfig(out=tmp, accounts=20_000, seed=1))
    t = pq.read_table(tmp / "posts.parquet").column("text").to_pylist()
    shutil.rmtree(tmp, ignore_errors=True)
    return [x or "" for x in t]


def reactions_pool(root: Path) -> list[str]:
    import csv

    csv.field_size_limit(sys.maxsize)
    out = []
    with open(root / "content" / "ced" / "ced_compact.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out.extend(x.strip() for x in (r.get("first_reposts") or "").split(" ||| ") if x.strip())
    return out


def build_snapshot(folder: Path, n_posts: int, n_accounts: int = 10_000, reposts: list[str] | None = None) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    pool = texts_pool()
    rng = np.random.default_rng(7)
    acc = [f"u{i:06d}" for i in range(n_accounts)]
    pq.write_table(pa.table({"account_id": acc, "nickname": [f"用户{i}" for i in range(n_accounts)],
                             "created_at": pa.array([1_600_000_000] * n_accounts, pa.int64())}),
                   folder / "accounts.parquet")
    idx = rng.integers(0, len(pool), n_posts)
    authors = rng.integers(0, n_accounts, n_posts)
    texts = [pool[i] for i in idx.tolist()]
    repost_of: list[str | None] = [None] * n_posts
    if reposts:
        # 10% of the posts repost one of the first 2% (a few reposts each), commenting with a CED reaction
        for i in rng.choice(np.arange(n_posts // 50, n_posts), n_posts // 10, replace=False).tolist():
            repost_of[i] = f"p{int(rng.integers(0, n_posts // 50)):08d}"
            texts[i] = reposts[int(rng.integers(0, len(reposts)))]
    pq.write_table(pa.table({
        "post_id": [f"p{i:08d}" for i in range(n_posts)],
        "account_id": [acc[a] for a in authors.tolist()],
        "created_at": pa.array(1_650_000_000 + rng.integers(0, 10_000_000, n_posts), pa.int64()),
        "text": texts,
        "repost_of": pa.array(repost_of, pa.string()),
    }), folder / "posts.parquet")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="50,000 posts")
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--model", action="store_true", help="train a content model on COLD train first")
    ap.add_argument("--reactions", action="store_true", help="with --model: reposts in the lake and a rumour "
                                                             "reaction model trained on CED")
    args = ap.parse_args()
    n = 50_000 if args.small else args.posts
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan

    work = Path(tempfile.mkdtemp(prefix="qinglang-bench-"))
    try:
        snap = work / "snap"
        from screening import shared

        t0 = time.perf_counter()
        with_reactions = args.model and args.reactions and shared() is not None
        build_snapshot(snap, n, reposts=reactions_pool(shared()) if with_reactions else None)
        t_snap = time.perf_counter() - t0
        home = work / "ws"
        app = build(home)
        t0 = time.perf_counter()
        ingest(app.settings, snap)
        t_ingest = time.perf_counter() - t0
        note = "default pack, no model"
        if args.model:
            from screening import shared

            root = shared()
            if root is None:
                print("--model needs ../shared/datasets (COLD); scanning without a model")
            else:
                import csv

                labels = work / "labels.csv"
                with open(root / "content" / "cold" / "train.csv", encoding="utf-8-sig", newline="") as fh, \
                        open(labels, "w", encoding="utf-8", newline="") as out:
                    w = csv.writer(out)
                    w.writerow(["text", "category", "reactions"])
                    for r in csv.DictReader(fh):
                        w.writerow([r["TEXT"], "abuse" if r["label"] == "1" else "none", ""])
                    if with_reactions:
                        csv.field_size_limit(sys.maxsize)
                        with open(root / "content" / "ced" / "ced_compact.csv", encoding="utf-8", newline="") as ced:
                            for r in csv.DictReader(ced):
                                w.writerow([r["text"], "rumor" if r["label"] == "1" else "none",
                                            r.get("first_reposts") or ""])
                from qinglang.services.screening import train_content

                t0 = time.perf_counter()
                train_content(app, labels)
                note = (f"default pack + model trained on COLD train{' and CED with reactions' if with_reactions else ''}"
                        f" in {time.perf_counter() - t0:.0f} s")
        results = []
        for workers in sorted({1, args.workers}):
            (home / "qinglang.toml").write_text(f"[content]\nworkers = {workers}\n", encoding="utf-8")
            app = build(home)
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            rep = run_scan(app, only="content")
            dt = time.perf_counter() - t0
            findings = sum(r.findings for r in rep.runs)
            results.append((workers, dt, findings, load0, os.getloadavg()[0]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"posts: {n:,} by 10,000 accounts ({note}); snapshot {t_snap:.1f} s, ingest {t_ingest:.1f} s")
        print(f"{'scan --only content':24} {'seconds':>9} {'posts/s':>10} {'x 1 worker':>11} {'findings':>9}"
              f"  load average (1 min) before -> after")
        base = results[0][1]
        for workers, dt, findings, l0, l1 in results:
            print(f"{f'{workers} worker(s)':24} {dt:9.1f} {n / dt:10,.0f} {base / dt:11.2f} {findings:9,}"
                  f"  {l0:.2f} -> {l1:.2f}")
        print(f"peak RSS: {peak:,.0f} MiB (main), {peak_children:,.0f} MiB (largest worker)")
        print("target: 1,000,000 posts in under 120 s on 2 cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
