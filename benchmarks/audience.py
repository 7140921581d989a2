"""Audience audit of one huge account: `qinglang audience ID --json --html FILE`, wall time and peak RSS.

    python benchmarks/audience.py                      # the 1M-account platform of benchmarks/fakefans_scan.py
    python benchmarks/audience.py --accounts 100000    # quick run

The platform is the one benchmarks/fakefans_scan.py simulates (seed 1, `mega_followers`
set: one head account followed by every other account, about a million followers at
the default size) and its workspace; when that workspace has no fake-fan findings yet, a
scan runs first (not timed). The audit runs in its own process as a user runs it,
with its default sampling (a uniform sample of 200,000 followers when there are more).
The target is under 30 seconds.

There is no outside peer; the floor is the least any audit must do: one DuckDB query
joining the account's followers with the fake_account findings (the mean score).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakefans_scan import SECRET, cpu_measure, snapshot, workspace  # noqa: E402
from harness import measure, python_code, table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    snap = snapshot(a.accounts, a.seed)
    home, _ = workspace(snap, a.accounts, a.seed)
    cli = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
    if not (home / "findings" / "fake_account.parquet").exists():
        print("no findings yet: scanning first (not timed)", flush=True)
        m = measure("scan", [*cli, "scan", "--only", "fakefans", "--home", str(home), "--json"], env=SECRET)
        if m.returncode != 0:
            raise SystemExit("scan failed")
    find = (f"import duckdb\nprint(duckdb.sql(\"SELECT followee_id, count(*) n FROM read_parquet('{snap / 'follows.parquet'}') "
            f"GROUP BY 1 ORDER BY n DESC LIMIT 1\").fetchall()[0][0])\n")
    top = measure("find the most followed account", python_code(find))
    account = top.stdout.strip()
    with tempfile.TemporaryDirectory(prefix="qlbench-aud-") as tmp:
        html = Path(tmp) / "audit.html"
        load_before = os.getloadavg()
        aud = cpu_measure("qinglang audience --json --html", [*cli, "audience", account, "--json", "--html", str(html),
                                                          "--home", str(home)], env=SECRET)
        if aud.returncode != 0:
            raise SystemExit("audience failed")
        html_kb = html.stat().st_size / 1024
    rep = json.loads(aud.stdout)
    floor_code = ("import sys\nfrom qinglang.bootstrap import build\nfrom qinglang.lake.validate import lit\n"
                  f"app = build({str(home)!r})\neng = app.engine()\n"
                  f"eng.register('ff', app.findings.read(['fake_account']).select(['subject_id', 'score']))\n"
                  f"print(eng.sql(\"SELECT count(*), avg(coalesce(ff.score, 0.001)) FROM follows f LEFT JOIN ff "
                  f"ON ff.subject_id = f.follower_id WHERE f.followee_id = \" + lit({account!r})).to_pylist())\n")
    floor = cpu_measure("followers x findings in DuckDB (floor)", python_code(floor_code), env=SECRET)
    load = os.getloadavg()
    rows = []
    for m in (aud, floor):
        rows.append([m.name, f"{m.seconds:.1f}", f"{m.cpu_s:.1f}", f"{m.peak_rss_mb:,.0f}",
                     f"{m.seconds / floor.seconds:.2f}x", ("yes" if m.seconds < 30 else "NO") if m is aud else ""])
    print(table(["step", "wall s", "CPU s", "peak RSS MB", "wall vs floor", "< 30 s"], rows,
                title=f"Audience audit of {account} ({rep['followers']:,} followers, {rep['audited']:,} audited; "
                      f"load average {load_before[0]:.2f} before, {load[0]:.2f} after, {os.cpu_count()} CPUs)"))
    print(f"fake share {rep['fake_share']:.4f} (95% CI {rep['fake_share_ci']}), quality {rep['quality_score']}, "
          f"HTML {html_kb:,.0f} KB")
    print(json.dumps({"account": account, "followers": rep["followers"], "audited": rep["audited"],
                      "audience_s": round(aud.seconds, 2), "audience_rss_mb": round(aud.peak_rss_mb),
                      "audience_cpu_s": round(aud.cpu_s, 2), "load_before": round(load_before[0], 2),
                      "floor_s": round(floor.seconds, 2), "load": round(load[0], 2)}))


if __name__ == "__main__":
    main()
