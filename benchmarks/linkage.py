"""Record linkage: qinglang's Fellegi–Sunter engine vs Splink (DuckDB backend), same records, same run.

    python benchmarks/linkage.py            # the shared sets + 1,000,000 synthetic person records
    python benchmarks/linkage.py --small    # the shared sets + 100,000 synthetic records

Each (tool, set) runs in its own child process (wall time measured inside the child from loading the
records to the scored pairs, imports excluded; peak RSS of that child). Accuracy is pairwise over all
true pairs (a pair the blocking missed counts as missed), at each tool's default decision point
(qinglang 0.5, Splink 0.9: no threshold tuned on the labels) and at each tool's best threshold (an
upper bound that looks at the labels). Splink runs its published example models (u by random
sampling, m by EM on its example rules, the prior from its deterministic rules); the synthetic set
has no published example, so Splink gets the fake_1000 example's comparisons with blocking rules
a million records can take (the same keys qinglang blocks on).
Needs `pip install splink` (the `bench` extra). The shared sets are read from ../shared/datasets
(skipped when absent).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import OUT, REPO, measure, table  # noqa: E402

SETS = ("febrl3", "fake_1000", "historical_50k")


def child(tool: str, name: str, root: str, synthetic: str | None) -> None:
    import pyarrow.parquet as pq

    from qinglang.evaluation.reincarnation import load_set, run_qinglang, run_splink, summarise
    from qinglang.linkage.datasets import SYNTHETIC

    if tool == "splink":
        import splink  # noqa: F401  (import outside the timed part, as for qinglang)
    if name == "synthetic":
        import time

        t0 = time.perf_counter()
        table_ = pq.read_table(synthetic)
        load = time.perf_counter() - t0
    else:
        import time

        t0 = time.perf_counter()
        table_ = load_set(name, Path(root))
        load = time.perf_counter() - t0
    if tool == "qinglang":
        run = run_qinglang(name, table_, SYNTHETIC if name == "synthetic" else None)
    else:
        run = run_splink(name, table_)
    s = summarise(run)
    s["wall_s"] = round(s["wall_s"] + load, 2)
    s["records"] = table_.num_rows
    s["vm_hwm_mb"] = vm_hwm_mb()
    s["load_average"] = round(os.getloadavg()[0], 1)  # the machine is shared: load during this run
    print(json.dumps(s))


def vm_hwm_mb() -> float | None:
    """This process's own peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent across exec)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="100,000 synthetic records instead of 1,000,000")
    ap.add_argument("--synthetic", type=int, default=None, help="synthetic records (default 1,000,000; --small 100,000)")
    ap.add_argument("--sets", default=",".join(SETS + ("synthetic",)), help="comma-separated sets to run")
    ap.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"), help="the shared data folder")
    ap.add_argument("--tools", default="qinglang,splink")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "SET"), help=argparse.SUPPRESS)
    ap.add_argument("--synthetic-file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = Path(args.datasets) / "linkage"
    if args.child:
        child(args.child[0], args.child[1], str(root), args.synthetic_file)
        return

    sets = [s for s in args.sets.split(",") if s]
    if not root.is_dir():
        print(f"note: {root} is absent: the shared sets are skipped", file=sys.stderr)
        sets = [s for s in sets if s == "synthetic"]
    n_syn = args.synthetic or (100_000 if args.small else 1_000_000)
    OUT.mkdir(parents=True, exist_ok=True)
    syn_file = OUT / f"synthetic_people_{n_syn}.parquet"
    if "synthetic" in sets and not syn_file.exists():
        import pyarrow.parquet as pq

        from qinglang.linkage.synthetic import people

        pq.write_table(people(n_syn), syn_file)

    results: dict[str, dict] = {}
    for name in sets:
        for tool in args.tools.split(","):
            argv = [sys.executable, str(Path(__file__).resolve()), "--child", tool, name, "--datasets", args.datasets]
            if name == "synthetic":
                argv += ["--synthetic-file", str(syn_file)]
            m = measure(f"{tool}:{name}", argv, cwd=REPO)
            if m.returncode != 0:
                results.setdefault(name, {})[tool] = {"error": f"exit {m.returncode}"}
                continue
            r = json.loads(m.stdout.strip().splitlines()[-1])
            r["peak_rss_mb"] = round(r.get("vm_hwm_mb") or m.peak_rss_mb)
            r["process_s"] = round(m.seconds, 1)
            results.setdefault(name, {})[tool] = r
            print(f"  {tool:8s} {name:15s} F1@default {r['at_default']['f1']:.4f}  best {r['at_best']['f1']:.4f}  "
                  f"{r['wall_s']:.1f} s  {r['peak_rss_mb']} MB  load {r.get('load_average')}", file=sys.stderr)

    rows = []
    for name, by in results.items():
        for tool, r in by.items():
            if "error" in r:
                rows.append([name, tool, "", "", "", "", "", "", r["error"], "", ""])
                continue
            d, b = r["at_default"], r["at_best"]
            rows.append([name, f"{tool} @{d['threshold']}", f"{r['records']:,}", f"{d['f1']:.4f}",
                         f"{d['precision']:.3f}/{d['recall']:.3f}", f"{b['f1']:.4f} @{b['threshold']:.3g}",
                         f"{r['blocking_recall']:.3f}", f"{r['candidates']:,}", f"{r['wall_s']:.1f}",
                         f"{r['peak_rss_mb']:,}", r.get("load_average", "")])
    print(table(["set", "tool @threshold", "records", "F1", "P/R", "best F1", "blocking recall", "pairs scored",
                 "wall s", "peak RSS MB", "load avg"], rows,
                f"Record linkage, pairwise over all true pairs ({os.cpu_count()} cores)"))
    ratio_rows = []
    for name, by in results.items():
        q, s = by.get("qinglang"), by.get("splink")
        if q and s and "error" not in q and "error" not in s:
            ratio_rows.append([name, f"{q['at_default']['f1'] - s['at_default']['f1']:+.4f}",
                               f"{q['at_best']['f1'] - s['at_best']['f1']:+.4f}",
                               f"{q['wall_s'] / max(s['wall_s'], 1e-9):.2f}x",
                               f"{q['peak_rss_mb'] / max(s['peak_rss_mb'], 1):.2f}x"])
    if ratio_rows:
        print()
        print(table(["set", "F1 qinglang - Splink (default)", "(best)", "wall qinglang/Splink",
                     "peak RSS qinglang/Splink"], ratio_rows, "Ratios against the peer (Splink), same run"))
    (OUT / "linkage.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
