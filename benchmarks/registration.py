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

Peer: Splink's incremental API (`linker.inference.predict_between(registry, new_record)`, DuckDB backend,
Splink 5) on the same registry and queries, blocking on the same keys with exact-match comparisons; it
answers each call with SQL over the registry, so it runs on a sample of the queries.

Part 2 (--batch SNAPSHOT): `link_accounts` over a simulator snapshot (e.g. 1.1 M accounts with 100,000
closed: `qinglang simulate --accounts 1100000 --closed 100000`), timed stage by stage, with peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
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

    hasher = IdentityHasher(b"benchmark-key-0123456789abcdef")
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
    from qinglang.sim.disguise import NAME_TRICKS, apply_name_tricks

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
    from qinglang.detect.reincarnation.registry import Registry, save_atomic

    reg, hasher, raw, build = synthetic_registry(n)
    folder = save_atomic(reg, OUT / f"registry_{n}")
    del reg
    t0 = time.perf_counter()
    reg = Registry.load(folder)
    load_s = time.perf_counter() - t0
    qs = queries(raw, n_q)
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
    out = {"accounts": acc.num_rows, "new_accounts": res.stats["new_accounts"],
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
        out.update({"precision": round(tp / max(1, len(pred)), 4), "recall": round(tp / max(1, len(true)), 4)})
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
    ap.add_argument("--child", choices=["checks", "splink", "batch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
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
    (OUT / "registration.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
