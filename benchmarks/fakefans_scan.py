"""Full fake-fan scan of a simulated platform: `qinglang scan --only fakefans`, wall time and peak RSS.

    python benchmarks/fakefans_scan.py                    # 1M accounts, ~20M follows (+1M follows of one mega account)
    python benchmarks/fakefans_scan.py --accounts 100000  # quick run
    python benchmarks/fakefans_scan.py --small            # 50k accounts

The platform is simulated once with a fixed seed (seed 1, not the detectors' development
seed 7) and cached under benchmarks/out/, with `mega_followers` set so that the same
workspace also serves benchmarks/audience.py (one head account followed by every other
account). The snapshot is ingested into a fresh workspace (timed, for reference), then the
scan runs in its own process, as a user runs it (`qinglang scan --only fakefans --json`:
the four detectors, findings written, cases opened). Each run starts from an empty SQL store
(the workspace's store.sqlite and audit checkpoint are removed first), so the timed scan is a
first scan: it opens the cases and imports the snapshot's reports as complaints;
`--warm-store` keeps the store and times a re-scan. Its time is split per detector from
the scan's own report. The target is under 5 minutes on 2 cores.

There is no outside peer for the whole scan; the table compares the scan with the floor
of reading the same follows from the lake (DuckDB COUNT over follows, and the arrays the
detectors load), so its ratio says how much the analysis costs beyond reading the data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, measure, python_code, table  # noqa: E402

SECRET = {"QINGLANG_SECRET": "benchmark-secret-0123456789"}


def snapshot(accounts: int, seed: int) -> Path:
    """Simulate (once) a platform with a mega account followed by every other account."""
    snap = OUT / f"ff-sim-{accounts}-{seed}"
    if not (snap / "truth" / "manifest.json").exists():
        shutil.rmtree(snap, ignore_errors=True)
        code = (f"from pathlib import Path\nfrom qinglang.sim import SimConfig, simulate\n"
                f"simulate(SimConfig(out=Path({str(snap)!r}), accounts={accounts}, seed={seed}, "
                f"mega_followers={accounts}, fmt='parquet', follow_order='time'))\n")
        m = measure("simulate", python_code(code))
        if m.returncode != 0:
            raise SystemExit("simulation failed")
        print(f"simulated {accounts:,} accounts in {m.seconds:.0f} s (peak {m.peak_rss_mb:,.0f} MB)", flush=True)
    return snap


def workspace(snap: Path, accounts: int, seed: int) -> tuple[Path, dict]:
    """A workspace holding the snapshot (ingested once; reused while the snapshot is unchanged)."""
    home = OUT / f"ff-ws-{accounts}-{seed}"
    stamp = home / ".ingested-from"
    info = {}
    if not stamp.exists() or stamp.read_text() != str(snap):
        shutil.rmtree(home, ignore_errors=True)
        cli = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
        m = measure("qinglang ingest", [*cli, "ingest", str(snap), "--home", str(home), "--json"], env=SECRET)
        if m.returncode != 0:
            raise SystemExit("ingest failed")
        info = {"ingest_s": m.seconds, "ingest_rss_mb": m.peak_rss_mb}
        stamp.write_text(str(snap))
    return home, info


def cpu_measure(*args, **kwargs):
    """measure() plus the child's CPU seconds (user + system, from the reaped children's rusage): on a shared
    machine the wall time depends on the load; the CPU time much less."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = measure(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--small", action="store_true", help="50,000 accounts")
    ap.add_argument("--warm-store", action="store_true",
                    help="keep the workspace's SQL store (a re-scan: cases and complaints already there)")
    a = ap.parse_args()
    if a.small:
        a.accounts = 50_000
    snap = snapshot(a.accounts, a.seed)
    manifest = json.loads((snap / "truth" / "manifest.json").read_text())
    home, info = workspace(snap, a.accounts, a.seed)
    cli = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
    env = {**SECRET, "QINGLANG_TIMING": os.environ.get("QINGLANG_TIMING", "")}
    if not a.warm_store:  # every run times a first scan: it opens the cases and imports the snapshot's reports
        for f in home.glob("store.sqlite*"):  # the store and its audit-chain checkpoint go together
            f.unlink()
        shutil.rmtree(home / "audit", ignore_errors=True)
    load_before = os.getloadavg()
    scan = cpu_measure("qinglang scan --only fakefans", [*cli, "scan", "--only", "fakefans", "--home", str(home), "--json"],
                   env=env)
    if scan.returncode != 0:
        raise SystemExit("scan failed")
    report = json.loads(scan.stdout)
    floor_code = ("import sys\nfrom qinglang.bootstrap import build\n"
                  "from qinglang.detect.fakefans.load import load_accounts, load_follows\n"
                  f"app = build({str(home)!r})\neng = app.engine()\nacc = load_accounts(eng)\n"
                  "fol = load_follows(eng, acc.n)\nprint(fol.n)\n")
    floor = cpu_measure("read accounts + follows arrays (floor)", python_code(floor_code), env=SECRET)
    rows = []
    n_follows = manifest["tables"]["follows"]
    for m in (scan, floor):
        rows.append([m.name, f"{m.seconds:.1f}", f"{m.cpu_s:.1f}", f"{m.peak_rss_mb:,.0f}",
                     f"{m.seconds / floor.seconds:.2f}x", f"{m.cpu_s / max(floor.cpu_s, 1e-9):.2f}x",
                     ("yes" if m.seconds < 300 else "NO") if m is scan else ""])
    load = os.getloadavg()
    print(table(["step", "wall s", "CPU s", "peak RSS MB", "wall vs floor", "CPU vs floor", "< 5 min"], rows,
                title=f"Fake-fan scan of {manifest['accounts']:,} simulated accounts, {n_follows:,} follows "
                      f"(seed {a.seed}; load average {load_before[0]:.2f} before, {load[0]:.2f} after, "
                      f"{os.cpu_count()} CPUs)"))
    per = [[d["name"], f"{d['seconds']:.1f}", f"{d['findings']:,}"] for d in report["detectors"]]
    per.append(["rest: start-up, writes, cases, complaints", f"{scan.seconds - sum(d['seconds'] for d in report['detectors']):.1f}",
                ""])
    print(table(["detector", "seconds", "findings"], per, title="per detector (the first one carries the shared analysis)"))
    print(f"store: {'kept (re-scan)' if a.warm_store else 'fresh (first scan)'}; cases: {report.get('cases')}")
    if info:
        print(f"ingest (once): {info['ingest_s']:.1f} s, peak {info['ingest_rss_mb']:,.0f} MB")
    print(json.dumps({"accounts": manifest["accounts"], "follows": n_follows, "scan_s": round(scan.seconds, 1),
                      "scan_rss_mb": round(scan.peak_rss_mb), "scan_cpu_s": round(scan.cpu_s, 1),
                      "floor_s": round(floor.seconds, 1), "floor_cpu_s": round(floor.cpu_s, 1),
                      "load_before": round(load_before[0], 2),
                      "floor_rss_mb": round(floor.peak_rss_mb), "load": round(load[0], 2),
                      "detectors": report["detectors"], "cases": report.get("cases")}))


if __name__ == "__main__":
    main()
