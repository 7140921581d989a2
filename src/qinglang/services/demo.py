"""The demo: every capability that exists, end to end, on a simulated platform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from qinglang.bootstrap import build
from qinglang.lake.ingest import ingest
from qinglang.services.scan import run_scan
from qinglang.services.stats import workspace_stats

Progress = Callable[[str, int, int], None]


def run_demo(workspace: Path, accounts: int, seed: int, progress: Progress | None = None) -> dict[str, Any]:
    from qinglang.sim import SimConfig, simulate

    workspace = workspace.absolute()
    snapshot = workspace / "snapshot"
    stamp = snapshot / "demo.json"
    params = {"accounts": accounts, "seed": seed}
    lines: list[str] = []
    if not (stamp.exists() and json.loads(stamp.read_text()) == params):
        simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, fmt="parquet"), progress=progress)
        stamp.write_text(json.dumps(params))
        lines.append(f"Simulated a platform of {accounts:,} accounts (seed {seed}) in {snapshot}. 已生成模拟平台。")
    else:
        lines.append(f"Reusing the simulated platform in {snapshot}.")
    app = build(workspace)
    rep = ingest(app.settings, snapshot, progress=progress)
    lines.append(
        f"Ingested: lake version {rep.version}" if rep.changed else "Ingest: nothing changed (already loaded)."
    )
    scan = run_scan(app, progress=progress)
    stats = workspace_stats(app)
    lines.append("Tables: " + ", ".join(f"{k} {v:,}" for k, v in stats["tables"].items()))
    lines.append("Tiers 分层: " + ", ".join(f"{k} {v:,}" for k, v in stats["tiers"].items()))
    for r in scan.runs:
        lines.append(f"  {r.name:<20} {r.findings:>9,} findings" + (f"  ({r.skipped})" if r.skipped else ""))
    if scan.cases:
        lines.append("Cases 案件: " + ", ".join(f"{k} {v}" for k, v in scan.cases.items()))
    lines += [
        "",
        "Where to look next 下一步:",
        f"  qinglang stats --home {workspace}",
        f"  qinglang accounts --tier head --limit 20 --home {workspace}",
        f"  qinglang export findings --out findings.csv --home {workspace}",
    ]
    return {"workspace": str(workspace), "stats": stats, "scan": scan.as_dict(), "lines": lines}
