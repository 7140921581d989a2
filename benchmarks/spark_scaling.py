"""The fake-fan scan on Spark local[2] at 1M, 5M and 20M follows, beside DuckDB on the same workspace.

    python benchmarks/spark_scaling.py            # ~1M, ~5M, ~20M follows (50k, 250k, 1M simulated accounts)
    python benchmarks/spark_scaling.py --small    # ~1M follows only
    python benchmarks/spark_scaling.py --sizes 50000,250000
    python benchmarks/spark_scaling.py --only reincarnation   # another detector group, the same way

Each platform is simulated once (seed 1; follows ≈ 20 per account, farms included) and
ingested once, cached under benchmarks/out/. Then `qinglang scan --only fakefans` runs as
a user runs it, in its own process, with `--engine duckdb` (the peer: the default engine,
same machine, same run) and with `--engine spark --spark-master local[2]` (a JVM started
by the scan; driver memory from the workspace's [spark.conf]). Reported: wall seconds,
peak RSS (the largest process of the run: the Python driver or Spark's JVM), the ratio to
DuckDB, and whether the two exports have the same findings rows (kind, subject_id,
related_id, category).

From the measured times, a least-squares line t = a + b * follows on local[2] splits
the fixed cost (queries, job scheduling: about the same whatever the size) from the cost
per follow (the passes over the edges: two cores); the closing lines extrapolate to a
10-billion-follow platform on a cluster, assuming the edge passes scale with cores (they
are partitioned scans, sorts and joins) and the fixed part does not shrink. See
docs/spark.md for the assumptions and the driver's memory (per-account arrays).

Sizes may be measured one invocation at a time (`--sizes 1000000` alone, e.g. in the
background): each size's figures, with the load average at the end of its scans, are kept
in benchmarks/out/spark_scaling_runs.json, and the table and the fit cover every size
recorded there (the current run's and earlier ones'; `--fresh` forgets earlier ones).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, measure, python_code, table  # noqa: E402

SECRET = {"QINGLANG_SECRET": "benchmark-secret-0123456789"}
CLI = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
DRIVER_MEMORY = "3g"


def platform(accounts: int, seed: int = 1) -> Path:
    """A simulated, ingested workspace (cached): benchmarks/out/spark-ws-<accounts>."""
    snap = OUT / f"spark-sim-{accounts}-{seed}"
    if not (snap / "truth" / "manifest.json").exists():
        shutil.rmtree(snap, ignore_errors=True)
        code = (f"from pathlib import Path\nfrom qinglang.sim import SimConfig, simulate\n"
                f"simulate(SimConfig(out=Path({str(snap)!r}), accounts={accounts}, seed={seed}, fmt='parquet'))\n")
        m = measure("simulate", python_code(code))
        if m.returncode != 0:
            raise SystemExit("simulation failed")
        print(f"simulated {accounts:,} accounts in {m.seconds:.0f} s", flush=True)
    home = OUT / f"spark-ws-{accounts}-{seed}"
    stamp = home / ".ingested-from"
    if not stamp.exists() or stamp.read_text() != str(snap):
        shutil.rmtree(home, ignore_errors=True)
        m = measure("ingest", [*CLI, "ingest", str(snap), "--home", str(home), "--json"], env=SECRET)
        if m.returncode != 0:
            raise SystemExit("ingest failed")
        stamp.write_text(str(snap))
        print(f"ingested {accounts:,} accounts in {m.seconds:.0f} s", flush=True)
    (home / "qinglang.toml").write_text(f'[spark.conf]\n"spark.driver.memory" = "{DRIVER_MEMORY}"\n', encoding="utf-8")
    return home


def scan(home: Path, engine: str, out_csv: Path, group: str = "fakefans"):
    extra = ["--spark-master", "local[2]"] if engine == "spark" else []
    work = home.parent / f"{home.name}-{engine}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)  # each engine scans its own copy: findings and cases stay apart
    m = measure(f"scan --engine {engine}", [*CLI, "scan", "--only", group, "--engine", engine, *extra,
                                            "--home", str(work), "--json"], env=SECRET)
    if m.returncode != 0:
        raise SystemExit(f"{engine} scan failed")
    report = json.loads(m.stdout)
    e = measure("export", [*CLI, "export", "findings", "--out", str(out_csv), "--home", str(work)], env=SECRET)
    if e.returncode != 0:
        raise SystemExit("export failed")
    with open(out_csv, encoding="utf-8") as fh:
        keys = sorted((r["kind"], r["subject_id"], r["related_id"], r["category"]) for r in csv.DictReader(fh))
    shutil.rmtree(work, ignore_errors=True)
    return m, report, keys


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares t = a + b x."""
    n = len(points)
    if n < 2:
        x, t = points[0]
        return 0.0, t / x
    mx = sum(x for x, _ in points) / n
    mt = sum(t for _, t in points) / n
    b = sum((x - mx) * (t - mt) for x, t in points) / max(sum((x - mx) ** 2 for x, _ in points), 1e-12)
    return mt - b * mx, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50000,250000,1000000", help="simulated accounts per platform")
    ap.add_argument("--small", action="store_true", help="only the smallest platform (~1M follows)")
    ap.add_argument("--fresh", action="store_true", help="forget sizes recorded by earlier invocations")
    ap.add_argument("--only", default="fakefans", help="detector group scanned: fakefans, reincarnation or content")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]  # --sizes "": only the table of recorded runs
    if a.small:
        sizes = sizes[:1]
    runs_file = OUT / ("spark_scaling_runs.json" if a.only == "fakefans" else f"spark_scaling_{a.only}_runs.json")
    runs: dict[str, dict] = {}
    if runs_file.exists() and not a.fresh:
        runs = json.loads(runs_file.read_text())
    for accounts in sizes:
        home = platform(accounts)
        follows = json.loads((OUT / f"spark-sim-{accounts}-1" / "truth" / "manifest.json").read_text())["tables"]["follows"]
        d, d_rep, d_keys = scan(home, "duckdb", OUT / f"spark-scaling-{accounts}-duckdb.csv", a.only)
        s, s_rep, s_keys = scan(home, "spark", OUT / f"spark-scaling-{accounts}-spark.csv", a.only)
        same = d_keys == s_keys
        load = os.getloadavg()
        runs[str(accounts)] = {"accounts": accounts, "follows": follows, "duckdb_s": round(d.seconds, 1),
                               "duckdb_rss_mb": round(d.peak_rss_mb), "spark_s": round(s.seconds, 1),
                               "spark_rss_mb": round(s.peak_rss_mb), "findings": len(s_keys),
                               "same_findings": same, "load": [round(x, 2) for x in load],
                               "cpus": os.cpu_count(), "at": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "spark_detectors": s_rep["detectors"], "duckdb_detectors": d_rep["detectors"]}
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = runs_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(runs, indent=2))
        os.replace(tmp, runs_file)
        print(f"{follows:,} follows: duckdb {d.seconds:.1f} s, spark {s.seconds:.1f} s, same findings: {same}, "
              f"load average {load[0]:.2f}", flush=True)
    rows, points = [], []
    for r in sorted(runs.values(), key=lambda r: r["follows"]):
        points.append((r["follows"], r["spark_s"]))
        rows.append([f"{r['follows']:,}", f"{r['accounts']:,}", f"{r['duckdb_s']:.1f}", f"{r['duckdb_rss_mb']:,}",
                     f"{r['spark_s']:.1f}", f"{r['spark_rss_mb']:,}", f"{r['spark_s'] / r['duckdb_s']:.2f}x",
                     f"{r['findings']:,}", "yes" if r["same_findings"] else "NO",
                     " / ".join(f"{x:.2f}" for x in r["load"]), r["at"]])
    load = os.getloadavg()
    print(table(["follows", "accounts", "DuckDB s", "DuckDB RSS MB", "Spark local[2] s", "Spark RSS MB",
                 "Spark / DuckDB", "findings", "same rows", "load 1/5/15 min", "measured at"], rows,
                title=f"scan --only {a.only}, Spark local[2] vs DuckDB (peer, same size, same invocation), "
                      f"{os.cpu_count()} CPUs; load average now {load[0]:.2f}"))
    if a.only != "fakefans":
        return
    fixed, per_follow = fit(points)
    print(f"\nSpark local[2]: t = {fixed:.0f} s + {per_follow * 1e6:.2f} s per million follows (least squares)")
    est = []
    edges = 10_000_000_000
    for executors, cores in ((25, 8), (50, 8), (100, 8), (200, 8)):
        c = executors * cores
        t = max(fixed, 0.0) + per_follow * edges * 2 / c
        est.append([f"{executors} x {cores} cores", f"{c:,}", f"{t / 60:.0f} min"])
    print(table(["cluster", "cores", "10B follows (estimate)"], est,
                title="Extrapolation (edge passes scale with cores; fixed part kept; see docs/spark.md)"))
    (OUT / "spark_scaling.json").write_text(json.dumps({"results": sorted(runs.values(), key=lambda r: r["follows"]),
                                                        "fixed_s": fixed,
                                                        "per_million_follows_s": per_follow * 1e6,
                                                        "load": round(load[0], 2)}, indent=2))


if __name__ == "__main__":
    main()
