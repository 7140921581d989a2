"""Real-time registration check: latency with a million banned accounts loaded, and batch linking speed.

    python benchmarks/registration.py           # 1,000,000 banned accounts, 10,000 checks
    python benchmarks/registration.py --small   # 100,000 banned accounts, 2,000 checks

Part 1 (in-process): a banned registry of N accounts (nicknames from the simulator's generators,
random avatars, hashed phones and devices, ban windows over four years) is built and saved once, then
loaded the way the service loads it; 10,000 checks are timed one by one: a fifth are comebacks of a
random banned account (a disguised nickname: homophone, traditional, emoji, decorative suffix, pinyin;
the old avatar re-encoded; sometimes the old phone), the rest innocent registrations. Reported: p50,
p95, p99 and max latency, throughput, recall on the comebacks and false blocks on the innocents.
The model is the one `qinglang scan` fits (EM) on a simulated platform.

Part 1b (over HTTP): the same registry is saved into a workspace, `qinglang serve` (one worker) loads it,
and an async client (httpx) in a separate process posts the same 10,000 registrations to
POST /api/realtime/registration-check (raw identities, hashed by the server with the workspace key;
every check recorded as in production): one request at a time (latency: p50, p99) and 8 in flight
(throughput, req/s), with the server's peak RSS.

Peer: Splink's incremental API (`linker.inference.predict_between(registry, new_record)`, DuckDB backend,
Splink 5) on the same registry and queries, blocking on the same keys with exact-match comparisons; it
answers each call with SQL over the registry, so it runs on a sample of the queries.

Part 2 (--batch SNAPSHOT): `link_accounts` over a simulator snapshot (e.g. 1.1 M accounts with 100,000
closed: `qinglang simulate --accounts 1100000 --closed 100000`), timed stage by stage, with peak RSS;
with the snapshot's truth: precision/recall at 0.5 and false matches per 10,000 innocent new accounts
(new accounts that continue nobody, decoys included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import OUT, REPO, measure, table  # noqa: E402


def _rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include the parent's from before exec)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fitted_model(accounts: int = 20_000, seed: int = 5):
    """The model a scan fits by EM on a simulated platform (cached in benchmarks/out)."""
    from qinglang.linkage.model import FSModel

    from qinglang.detect.reincarnation import config as C
    from qinglang.linkage.settings import LinkageSettings

    path = OUT / f"reincarnation_model_{accounts}_{seed}.json"
    if path.exists():
        model = FSModel.from_dict(json.loads(path.read_text()))
        if model.compatible(LinkageSettings.from_dict(C.settings_dict())):
            return model
    import tempfile

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from qinglang.detect.reincarnation.linking import AccountTables, link_accounts
    from qinglang.sim import SimConfig, simulate

    with tempfile.TemporaryDirectory() as tmp:
        simulate(SimConfig(out=Path(tmp), accounts=accounts, seed=seed))
        acc = pq.read_table(f"{tmp}/accounts.parquet")
        fol = pq.read_table(f"{tmp}/follows.parquet", columns=["follower_id", "followee_id"])
        res = link_accounts(AccountTables(
            acc, pq.read_table(f"{tmp}/enforcements.parquet"),
            pq.read_table(f"{tmp}/identities.parquet", columns=["account_id", "kind", "value"]),
            pc.index_in(fol["follower_id"], value_set=acc["account_id"]).to_numpy().astype(np.int64),
            pc.index_in(fol["followee_id"], value_set=acc["account_id"]).to_numpy().astype(np.int64)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(res.linker.model.to_json())
    return res.linker.model


BENCH_KEY = b"benchmark-key-0123456789abcdef"


def http_workspace(n: int) -> Path:
    return OUT / f"http-ws-{n}"


def synthetic_registry(n: int, seed: int = 1):
    """n banned accounts: names, avatars, hashed identities, ban windows; and the raw values kept for queries."""
    from qinglang.detect.reincarnation.features import profile_columns
    from qinglang.detect.reincarnation.registry import Registry, TermFrequencies
    from qinglang.sim.names import mixed_names

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    names = mixed_names(rng, n, "active")
    avatars = [f"{int(x):016x}" for x in rng.integers(1, 2 ** 63 - 1, n, dtype=np.int64)]
    prof = pa.table(profile_columns(names, avatars, [None] * n))
    t_keys = time.perf_counter() - t0
    now = time.time()
    banned_at = now - rng.uniform(0, 4 * 365 * 86400, n)
    until = np.where(rng.random(n) < 0.3, np.nan, banned_at + rng.choice([90, 180, 365, 730, 1095], n) * 86400.0)
    banned = pa.table({"account_id": [f"b{k:07d}" for k in range(n)], "action": ["close"] * n,
                       "category": ["rumor"] * n, "banned_at": banned_at, "ban_until": until, "nickname": names})
    phones = rng.integers(13_000_000_000, 19_000_000_000, n)
    devices = rng.integers(0, 2 ** 62, n)
    from qinglang.lake.identity_hash import IdentityHasher

    hasher = IdentityHasher(BENCH_KEY)
    id_rows = np.repeat(np.arange(n), 2)
    id_kinds = ["phone", "device"] * n
    id_vals = []
    for p, d in zip(phones.tolist(), devices.tolist()):
        id_vals.append(hasher.hash("phone", str(p)))
        id_vals.append(hasher.hash("device", f"dev-{d:x}"))
    tf = TermFrequencies.from_profiles(prof)
    t1 = time.perf_counter()
    reg = Registry.build(banned, prof, id_rows, id_kinds, id_vals, np.full(2 * n, 1.0 / n), tf, fitted_model())
    t_build = time.perf_counter() - t1
    raw = {"names": names, "avatars": avatars, "phones": phones, "banned_at": banned_at, "until": until}
    return reg, hasher, raw, {"keys_s": round(t_keys, 1), "index_s": round(t_build, 1)}


def _disguise(rng, name: str) -> str:
    from qinglang.sim.disguise import apply_name_tricks

    tricks = list(rng.choice(["homophone", "traditional", "emoji", "decorative", "symbols", "digits", "pinyin"],
                             int(rng.integers(1, 3)), replace=False))
    out, _ = apply_name_tricks(name, [str(t) for t in tricks], rng)
    return out if out else name + "🌸"


def queries(raw: dict, n_q: int, seed: int = 2):
    from qinglang.sim.avatars import flip_bits
    from qinglang.sim.names import mixed_names

    rng = np.random.default_rng(seed)
    n = len(raw["names"])
    out = []
    fresh = mixed_names(rng, n_q, "casual")
    for k in range(n_q):
        if rng.random() < 0.2:
            b = int(rng.integers(n))
            start = raw["banned_at"][b]
            end = raw["until"][b] if not np.isnan(raw["until"][b]) else start + 365 * 86400
            at = start + rng.uniform(86400, max(2 * 86400, min(end - start, 300 * 86400)))
            av = f"{int(flip_bits(rng, np.array([int(raw['avatars'][b], 16)], np.uint64), 1, 4)[0]):016x}"
            ids = [("phone", str(raw["phones"][b]))] if rng.random() < 0.5 else []
            out.append(({"nickname": _disguise(rng, raw["names"][b]), "avatar_hash": av, "at": at, "ids": ids},
                        f"b{b:07d}"))
        else:
            out.append(({"nickname": fresh[k], "avatar_hash": f"{int(rng.integers(1, 2 ** 63 - 1)):016x}",
                         "at": time.time(), "ids": [("phone", str(int(rng.integers(13e9, 19e9))))]}, None))
    return out


def bench_checks(n: int, n_q: int) -> dict:
    from qinglang.bootstrap import build as build_app
    from qinglang.detect.reincarnation.registry import Registry, save_atomic
    from qinglang.services.registration import bans_fingerprint, registry_root

    reg, hasher, raw, build = synthetic_registry(n)
    # the registry goes into a workspace (whose identity key is the benchmark's) for the HTTP part
    ws = http_workspace(n)
    if ws.exists():
        shutil.rmtree(ws)
    ws.mkdir(parents=True)
    app = build_app(ws)
    app.workspace.save_identity_key(BENCH_KEY)
    reg.meta["fingerprint"] = bans_fingerprint(app)
    folder = save_atomic(reg, registry_root(ws))
    del reg
    t0 = time.perf_counter()
    reg = Registry.load(folder)
    load_s = time.perf_counter() - t0
    qs = queries(raw, n_q)
    _write_queries(qs, ws / "bench_queries.json")
    reg.check("预热", None, [], at=time.time())  # first call compiles nothing, but warms caches
    lat = np.zeros(len(qs))
    cpu = np.zeros(len(qs))
    found = blocked_innocent = n_cb = 0
    for k, (q, truth) in enumerate(qs):
        t, c = time.perf_counter(), time.thread_time()
        ids = [(kind, hasher.hash(kind, v)) for kind, v in q["ids"]]
        r = reg.check(q["nickname"], q["avatar_hash"], ids, at=q["at"])
        lat[k] = (time.perf_counter() - t) * 1000
        cpu[k] = (time.thread_time() - c) * 1000
        if truth is not None:
            n_cb += 1
            found += r["decision"] in ("block", "review") and r["matches"][0]["banned_account_id"] == truth
        else:
            blocked_innocent += r["decision"] == "block"
    return {"banned": n, "checks": len(qs), "build": build, "load_s": round(load_s, 2),
            "p50_ms": round(float(np.percentile(lat, 50)), 3), "p95_ms": round(float(np.percentile(lat, 95)), 3),
            "p99_ms": round(float(np.percentile(lat, 99)), 3), "max_ms": round(float(lat.max()), 2),
            "checks_per_s": round(len(qs) / (lat.sum() / 1000), 1),
            "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 3), "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3),
            "load_average": round(__import__("os").getloadavg()[0], 1),
            "comebacks": n_cb, "comebacks_stopped": round(found / max(1, n_cb), 4),
            "innocents": len(qs) - n_cb, "innocents_blocked": int(blocked_innocent),
            "peak_rss_mb": round(_rss_mb())}


def _write_queries(qs, path: Path) -> None:
    from datetime import datetime, timezone

    out = []
    for q, truth in qs:
        body = {"nickname": q["nickname"], "avatar_hash": q["avatar_hash"],
                "at": datetime.fromtimestamp(q["at"], tz=timezone.utc).isoformat(),
                "identities": [{"kind": k, "value": v} for k, v in q["ids"]]}
        out.append({"body": body, "truth": truth})
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def http_client(url: str, token: str, queries_file: str, concurrency: int) -> dict:
    """Post every query (async, `concurrency` in flight); per-request latency and throughput."""
    import asyncio

    import httpx

    qs = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    lat = np.zeros(len(qs))
    status = np.zeros(len(qs), dtype=np.int64)
    stopped = [0]

    async def run() -> float:
        nxt = iter(range(len(qs)))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            async def worker():
                for k in nxt:
                    t = time.perf_counter()
                    r = await client.post("/api/realtime/registration-check", json=qs[k]["body"])
                    lat[k] = (time.perf_counter() - t) * 1000
                    status[k] = r.status_code
                    if r.status_code == 200 and qs[k]["truth"] is not None:
                        d = r.json()
                        stopped[0] += d["decision"] in ("block", "review") and bool(d["matches"]) and \
                            d["matches"][0]["banned_account_id"] == qs[k]["truth"]
            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - t0

    wall = asyncio.run(run())
    n_cb = sum(q["truth"] is not None for q in qs)
    return {"concurrency": concurrency, "requests": len(qs), "errors": int((status != 200).sum()),
            "p50_ms": round(float(np.percentile(lat, 50)), 2), "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2), "max_ms": round(float(lat.max()), 1),
            "req_per_s": round(len(qs) / wall, 1), "comebacks_stopped": round(stopped[0] / max(1, n_cb), 4),
            "load_average": round(os.getloadavg()[0], 1), "client_peak_rss_mb": round(_rss_mb())}


def bench_http(n: int, concurrency: list[int]) -> dict:
    """Serve the registry saved by the in-process part; an async client in another process posts the checks."""
    import signal
    import urllib.request

    from api_registration import free_port, start_server, tree_rss_mb

    from qinglang.bootstrap import build as build_app
    from qinglang.services.users import add_user

    ws = http_workspace(n)
    if not (ws / "bench_queries.json").exists():
        raise SystemExit(f"{ws} has no registry: run the in-process part first")
    app = build_app(ws)
    token = add_user(app.store, f"bench-{os.getpid()}", "analyst", by="benchmark", expires_days=1)["token"]
    app.store.close()
    port = free_port()
    server = start_server(ws, port, 1)
    try:
        t0 = time.perf_counter()  # the first check loads the registry
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/realtime/registration-check",
                                     data=json.dumps({"nickname": "预热", "identities": []}).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            assert r.status == 200
        load_s = time.perf_counter() - t0
        runs = []
        for c in concurrency:
            m = measure(f"client c={c}", [sys.executable, str(Path(__file__).resolve()), "--client",
                                          f"http://127.0.0.1:{port}", token, str(ws / "bench_queries.json"), str(c)],
                        cwd=REPO)
            runs.append(json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0 else {"error": m.returncode})
        rss = tree_rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    return {"banned": n, "registry_load_s": round(load_s, 1), "server_peak_rss_mb": round(rss), "runs": runs}


def bench_splink(n: int, n_q: int) -> dict:
    """Splink's predict_between(registry, new record) over the same registry keys (exact comparisons)."""
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    from qinglang.detect.reincarnation.features import profile_columns

    logging.getLogger("splink").setLevel(logging.ERROR)
    _, hasher, raw, _ = synthetic_registry(n)
    prof = profile_columns(raw["names"], raw["avatars"], [None] * n)
    t = pa.table({"unique_id": [f"b{k:07d}" for k in range(n)], "n_core": prof["n_core"], "n_pinyin": prof["n_pinyin"],
                  "avatar": prof["avatar"], "phone": [hasher.hash("phone", str(p)) for p in raw["phones"].tolist()]})
    settings = SettingsCreator(
        link_type="dedupe_only", probability_two_random_records_match=1e-6,
        blocking_rules_to_generate_predictions=[block_on("n_core"), block_on("n_pinyin"), block_on("avatar"),
                                                block_on("phone")],
        comparisons=[cl.ExactMatch("n_core").configure(m_probabilities=[0.6, 0.4], u_probabilities=[1e-5, 1 - 1e-5]),
                     cl.ExactMatch("n_pinyin").configure(m_probabilities=[0.7, 0.3], u_probabilities=[1e-5, 1 - 1e-5]),
                     cl.ExactMatch("avatar").configure(m_probabilities=[0.5, 0.5], u_probabilities=[1e-6, 1 - 1e-6]),
                     cl.ExactMatch("phone").configure(m_probabilities=[0.5, 0.5], u_probabilities=[1e-7, 1 - 1e-7])])
    db = DuckDBAPI()
    registry = db.register(t)
    linker = Linker(registry, settings)
    qs = queries(raw, n_q)
    lat = []
    for k, (q, _) in enumerate(qs):
        p = profile_columns([q["nickname"]], [q["avatar_hash"]], [None])
        rec = {"unique_id": f"q{k}", "n_core": p["n_core"][0].as_py(), "n_pinyin": p["n_pinyin"][0].as_py(),
               "avatar": q["avatar_hash"], "phone": hasher.hash("phone", q["ids"][0][1]) if q["ids"] else None}
        t0 = time.perf_counter()
        new = db.register(pa.Table.from_pylist([rec], schema=t.schema))
        linker.inference.predict_between(registry, new).as_pyarrow_table()
        lat.append((time.perf_counter() - t0) * 1000)
    lat = np.array(lat)
    return {"banned": n, "checks": len(lat), "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p95_ms": round(float(np.percentile(lat, 95)), 2), "p99_ms": round(float(np.percentile(lat, 99)), 2),
            "max_ms": round(float(lat.max()), 1), "peak_rss_mb": round(_rss_mb())}


def bench_batch(snapshot: Path) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from qinglang.detect.reincarnation.config import DECLARED_PATTERN
    from qinglang.detect.reincarnation.linking import AccountTables, link_accounts

    t0 = time.perf_counter()
    acc = pq.read_table(snapshot / "accounts.parquet")
    fol = pq.read_table(snapshot / "follows.parquet", columns=["follower_id", "followee_id"])
    import duckdb

    declared = duckdb.sql(f"SELECT DISTINCT account_id FROM '{snapshot}/posts.parquet' WHERE "
                          f"regexp_matches(lower(text), '{DECLARED_PATTERN.replace(chr(39), chr(39) * 2)}')"
                          ).to_arrow_table()["account_id"]
    tables = AccountTables(
        acc, pq.read_table(snapshot / "enforcements.parquet"),
        pq.read_table(snapshot / "identities.parquet", columns=["account_id", "kind", "value"]),
        pc.index_in(fol["follower_id"], value_set=acc["account_id"]).to_numpy().astype(np.int64),
        pc.index_in(fol["followee_id"], value_set=acc["account_id"]).to_numpy().astype(np.int64), declared)
    del fol
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = link_accounts(tables)
    t_link = time.perf_counter() - t1
    out = {"load_average": round(os.getloadavg()[0], 1), "accounts": acc.num_rows,
           "new_accounts": res.stats["new_accounts"],
           "banned": res.stats["banned_accounts"], "candidates": res.stats["candidates"],
           "read_s": round(t_read, 1), "link_s": round(t_link, 1), "stages_s": res.stats["seconds"],
           "peak_rss_mb": round(_rss_mb())}
    truth = snapshot / "truth" / "reincarnations.csv"
    if truth.exists():
        import csv

        with open(truth, newline="", encoding="utf-8") as fh:
            true = {(r["new_account_id"], r["banned_account_id"]) for r in csv.DictReader(fh)}
        banned = res.banned["account_id"].to_pylist()
        p = res.predictions
        pred = {(str(res.new_ids[i]), banned[j]) for i, j, pr in zip(p.i, p.j, p.prob) if pr >= 0.5}
        tp = len(pred & true)
        comeback_new = {a for a, _ in true}
        innocent = int(len(res.new_ids)) - len(comeback_new & {str(x) for x in res.new_ids.tolist()})
        false = [k for k in pred - true if k[0] not in comeback_new]
        out.update({"precision": round(tp / max(1, len(pred)), 4), "recall": round(tp / max(1, len(true)), 4),
                    "f1": round(2 * tp / max(1, len(pred) + len(true)), 4),
                    "innocent_new_accounts": innocent, "false_matches": len(false),
                    "false_per_10000": round(10_000 * len(false) / max(1, innocent), 3)})
        dec = snapshot / "truth" / "decoys.csv"
        if dec.exists():
            with open(dec, newline="", encoding="utf-8") as fh:
                decoys = [r["account_id"] for r in csv.DictReader(fh)]
            pred_new = {a for a, _ in pred}
            out["decoys_linked"] = f"{sum(d in pred_new for d in decoys)}/{len(decoys)}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--banned", type=int, default=None)
    ap.add_argument("--checks", type=int, default=None)
    ap.add_argument("--splink-checks", type=int, default=100)
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--no-checks", action="store_true", help="only the batch part (with --batch)")
    ap.add_argument("--batch", type=Path, help="a simulator snapshot to time batch linking on")
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP part")
    ap.add_argument("--concurrency", default="1,8", help="requests in flight in the HTTP runs")
    ap.add_argument("--child", choices=["checks", "splink", "batch", "http"], help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=4, metavar=("URL", "TOKEN", "QUERIES", "CONCURRENCY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        print(json.dumps(http_client(args.client[0], args.client[1], args.client[2], int(args.client[3]))))
        return
    n = args.banned or (100_000 if args.small else 1_000_000)
    n_q = args.checks or (2_000 if args.small else 10_000)
    if args.child == "checks":
        print(json.dumps(bench_checks(n, n_q)))
        return
    if args.child == "splink":
        print(json.dumps(bench_splink(n, args.splink_checks)))
        return
    if args.child == "batch":
        print(json.dumps(bench_batch(args.batch)))
        return
    if args.child == "http":
        print(json.dumps(bench_http(n, [int(c) for c in args.concurrency.split(",")])))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    fitted_model()
    me = [sys.executable, str(Path(__file__).resolve()), "--banned", str(n), "--checks", str(n_q)]
    results = {}
    if args.no_checks:
        results["qinglang"] = {"error": "skipped (--no-checks)"}
    else:
        m = measure("checks", me + ["--child", "checks"], cwd=REPO)
        results["qinglang"] = (json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0
                               else {"error": m.returncode})
    if not args.no_http and not args.no_checks and "error" not in results["qinglang"]:
        m = measure("http", me + ["--child", "http", "--concurrency", args.concurrency], cwd=REPO)
        results["http"] = (json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0
                           else {"error": m.returncode})
    if not args.no_splink and not args.no_checks:
        m = measure("splink", me + ["--child", "splink", "--splink-checks", str(args.splink_checks)], cwd=REPO)
        results["splink"] = json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0 else {"error": m.returncode}
    q, s = results["qinglang"], results.get("splink")
    if "error" in q:
        print(f"the in-process check benchmark failed ({q['error']})", file=sys.stderr)
        q = None
    rows = [] if q is None else [["qinglang Registry.check", f"{q['banned']:,}", f"{q['checks']:,}", q["p50_ms"],
                                  q["p95_ms"], q["p99_ms"], q["max_ms"], f"{q['peak_rss_mb']:,}"]]
    if s and "error" not in s:
        rows.append(["Splink predict_between", f"{s['banned']:,}", f"{s['checks']:,}", s["p50_ms"],
                     s["p95_ms"], s["p99_ms"], s["max_ms"], f"{s['peak_rss_mb']:,}"])
    if q is not None:
        print(table(["real-time check", "banned loaded", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "peak RSS MB"],
                    rows, "Registration check latency, in-process, one call at a time"))
    if q is not None:
        print(f"CPU time per check (this thread): p50 {q['cpu_p50_ms']} ms, p99 {q['cpu_p99_ms']} ms "
              f"(load average during the run {q['load_average']} on {__import__('os').cpu_count()} cores)")
        print(f"registry: names+keys {q['build']['keys_s']} s, index {q['build']['index_s']} s, load {q['load_s']} s; "
              f"{q['checks_per_s']} checks/s; comebacks stopped {q['comebacks_stopped']:.1%} of {q['comebacks']}, "
              f"innocents blocked {q['innocents_blocked']} of {q['innocents']}")
    h = results.get("http")
    if h and "error" not in h:
        print()
        print(table(["in flight", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s",
                     "comebacks stopped", "load avg"],
                    [[r.get("concurrency"), r.get("requests"), r.get("errors", r.get("error")), r.get("p50_ms"),
                      r.get("p95_ms"), r.get("p99_ms"), r.get("max_ms"), r.get("req_per_s"), r.get("comebacks_stopped"),
                      r.get("load_average")] for r in h["runs"]],
                    f"POST /api/realtime/registration-check over loopback, qinglang serve (1 worker), "
                    f"{h['banned']:,} banned loaded, async httpx client in another process"))
        print(f"server peak RSS {h['server_peak_rss_mb']:,} MB; registry loaded by the first request in "
              f"{h['registry_load_s']} s")
    if q is not None and s and "error" not in s:
        print(f"ratio p99 qinglang/Splink: {q['p99_ms'] / s['p99_ms']:.4f}x; p50: {q['p50_ms'] / s['p50_ms']:.4f}x")
    if args.batch:
        m = measure("batch", me + ["--child", "batch", "--batch", str(args.batch)], cwd=REPO)
        b = json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0 else {"error": m.returncode}
        results["batch"] = b
        if "error" not in b:
            print()
            print(table(["accounts", "new", "banned", "candidates", "read s", "link s", "stages s", "P", "R",
                         "peak RSS MB"],
                        [[f"{b['accounts']:,}", f"{b['new_accounts']:,}", f"{b['banned']:,}", f"{b['candidates']:,}",
                          b["read_s"], b["link_s"], b["stages_s"], b.get("precision", ""), b.get("recall", ""),
                          f"{b['peak_rss_mb']:,}"]], "Batch linking (link_accounts), whole snapshot"))
            if "false_matches" in b:
                print(f"false matches: {b['false_matches']} among {b['innocent_new_accounts']:,} innocent new accounts "
                      f"= {b['false_per_10000']} per 10,000; decoys linked {b.get('decoys_linked', '-')}; "
                      f"load average {b['load_average']}")
    (OUT / "registration.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
