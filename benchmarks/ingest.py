"""Ingest throughput and peak memory against the floor: a plain DuckDB read_csv -> Parquet copy.

    python benchmarks/ingest.py                 # 1M accounts, ~20M follows (simulated, CSV)
    python benchmarks/ingest.py --accounts 50000

The simulated snapshot is cached under benchmarks/out/. Each step runs in its own child
process; peak RSS is that process's own maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, measure, python_code, table  # noqa: E402


def snapshot(accounts: int, seed: int, fmt: str) -> Path:
    snap = OUT / f"sim-{accounts}-{seed}-{fmt}"
    if not (snap / f"accounts.{fmt}").exists():
        shutil.rmtree(snap, ignore_errors=True)
        m = measure("simulate", [sys.executable, "-m", "qinglang.entrypoints.cli.app", "simulate", "--out", str(snap),
                                 "--accounts", str(accounts), "--seed", str(seed), "--format", fmt])
        if m.returncode != 0:
            raise SystemExit("simulation failed")
        print(f"simulated {accounts:,} accounts in {m.seconds:.1f} s (peak {m.peak_rss_mb:.0f} MB)")
    return snap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default="csv", choices=["csv", "jsonl", "parquet"])
    args = ap.parse_args()

    snap = snapshot(args.accounts, args.seed, args.format)
    files = sorted(p for p in snap.iterdir() if p.is_file() and p.suffix == f".{args.format}")
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    work = Path(tempfile.mkdtemp(prefix="qlbench-", dir=OUT))
    try:
        home = work / "ws"
        cli = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
        ing = measure("qinglang ingest", [*cli, "ingest", str(snap), "--home", str(home), "--json"],
                      env={"QINGLANG_SECRET": "benchmark-secret-0123456789"})
        if ing.returncode != 0:
            raise SystemExit("ingest failed")
        report = json.loads(ing.stdout)
        rows = sum(t["rows_read"] for t in report["tables"])
        again = measure("qinglang ingest (same snapshot again)", [*cli, "ingest", str(snap), "--home", str(home), "--json"],
                        env={"QINGLANG_SECRET": "benchmark-secret-0123456789"})

        reader = {"csv": "read_csv('{f}', header=true)", "jsonl": "read_json('{f}', format='newline_delimited')",
                  "parquet": "read_parquet('{f}')"}[args.format]
        copies = "\n".join(
            f"con.execute(\"COPY (SELECT * FROM {reader.format(f=p)}) TO '{work / (p.stem + '.parquet')}' (FORMAT parquet)\")"
            for p in files
        )
        floor = measure("duckdb read -> Parquet (floor)", python_code(f"import duckdb\ncon = duckdb.connect()\n{copies}\n"))

        res = []
        for m in (ing, again, floor):
            res.append([m.name, f"{rows:,}", f"{m.seconds:.1f}", f"{rows / m.seconds:,.0f}", f"{m.peak_rss_mb:,.0f}",
                        f"{m.seconds / floor.seconds:.2f}x"])
        print(table(["step", "rows", "seconds", "rows/s", "peak RSS MB", "time vs floor"], res,
                    title=f"Ingest of {args.accounts:,} simulated accounts, {len(files)} {args.format} files, {size_mb:,.0f} MB"))
        per = {t["table"]: t["rows_read"] for t in report["tables"]}
        print("rows per table: " + ", ".join(f"{k} {v:,}" for k, v in per.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
