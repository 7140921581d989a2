"""The demo: every capability, end to end, on a simulated platform.

simulate -> ingest -> load the platform's known rumours and violating images (the
simulator's, standing in for a platform's own) -> scan (every detector, cases from
findings) -> an admin user for the console -> audit chain check -> regulator report.
Re-running reuses the simulated snapshot and changes nothing that is already there.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from qinglang.bootstrap import build
from qinglang.errors import Conflict
from qinglang.lake.ingest import ingest
from qinglang.services.scan import run_scan
from qinglang.services.stats import workspace_stats

Progress = Callable[[str, int, int], None]
DEMO_ADMIN = "demo-admin"


def run_demo(workspace: Path, accounts: int, seed: int, progress: Progress | None = None) -> dict[str, Any]:
    from qinglang.sim import SimConfig, simulate

    workspace = workspace.absolute()
    snapshot = workspace / "snapshot"
    stamp = snapshot / "demo.json"
    from qinglang import __version__

    params = {"accounts": accounts, "seed": seed, "qinglang": __version__}
    lines: list[str] = []
    if not (stamp.exists() and json.loads(stamp.read_text()) == params):
        simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, fmt="parquet"), progress=progress)
        stamp.write_text(json.dumps(params))
        lines.append(f"Simulated a platform of {accounts:,} accounts (seed {seed}) in {snapshot}. 已生成模拟平台。")
    else:
        lines.append(f"Reusing the simulated platform in {snapshot}. 复用已生成的模拟平台。")

    app = build(workspace)
    rep = ingest(app.settings, snapshot, progress=progress)
    lines.append(f"Ingested into lake version {rep.version}. 已导入。" if rep.changed
                 else "Ingest: nothing changed (already loaded). 数据无变化。")
    lines += _load_known_content(app, snapshot / "truth")

    scan = run_scan(app, progress=progress)
    stats = workspace_stats(app)
    lines.append("Tables 数据表: " + ", ".join(f"{k} {v:,}" for k, v in stats["tables"].items()))
    lines.append("Tiers 分层: " + ", ".join(f"{k} {v:,}" for k, v in stats["tiers"].items()))
    lines.append("Findings 检测发现:")
    for r in scan.runs:
        lines.append(f"  {r.name:<20} {r.findings:>9,}" + (f"  ({r.skipped})" if r.skipped else ""))
    if scan.cases:
        lines.append("Cases 案件: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                             for k, v in scan.cases.items()))

    token = _demo_admin_token(app)
    chain = _verify_chain(app)
    lines.append(f"Audit chain 审计链: {chain}")
    report_file = _write_report(app, workspace)
    lines.append(f"Regulator report 监管报告: {report_file}")

    w = str(workspace)
    lines += [
        "",
        "Where to look next 下一步:",
        f"  qinglang serve --home {w}          # console at http://127.0.0.1:8080/console/ (API under /api/)",
        f"      sign in with the token of user {DEMO_ADMIN}: {token}" if token else
        f"      sign in with a token: qinglang users token {DEMO_ADMIN} --home {w}",
        f"  qinglang cases list --home {w}",
        f"  qinglang cases claim --next --reviewer alice --home {w}",
        f"  qinglang accounts --tier head --limit 20 --home {w}",
        f"  qinglang audience ACCOUNT_ID --html audience.html --home {w}",
        f"  qinglang screen \"文本\" --json --home {w}",
        f"  qinglang export findings --out findings.csv --home {w}",
        f"  qinglang report --from 2026-01-01 --to 2027-01-01 --format html --out report.html --home {w}",
    ]
    return {"workspace": w, "stats": stats, "scan": scan.as_dict(), "audit_chain": chain,
            "report": str(report_file), "admin_token": token, "lines": lines}


def _load_known_content(app, truth: Path) -> list[str]:
    """The platform's known rumours and violating images: the simulator's stand in for a platform's own."""
    from qinglang.services import screening

    out = []
    rumors = truth / "rumors.csv"
    if rumors.exists():
        r = screening.rumors_add(app, rumors)
        out.append(f"Rumour base 谣言库: {r.get('total', r)}")
    images = truth / "violating_images.csv"
    if images.exists():
        # one bank per category, in the bank file format (a `hash` column)
        import csv

        by_cat: dict[str, list[str]] = {}
        with open(images, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_cat.setdefault(row["category"], []).append(row["image_hash"])
        inputs = app.workspace.path("demo-inputs")
        inputs.mkdir(parents=True, exist_ok=True)
        for cat, hashes in sorted(by_cat.items()):
            f = inputs / f"images-{cat}.csv"
            f.write_text("hash\n" + "\n".join(hashes) + "\n", encoding="utf-8")
            screening.image_bank_add(app, f"demo-{cat}", f, "phash", None, cat)
        out.append(f"Image banks 图片库: {sum(len(v) for v in by_cat.values())} hashes in {len(by_cat)} banks")
    return out


def _demo_admin_token(app) -> str | None:
    """A console user for the demo; its token is shown once, when it is created."""
    from qinglang.services import users

    try:
        return users.add_user(app.store, DEMO_ADMIN, "admin", by="qinglang-demo")["token"]
    except Conflict:
        return None


def _verify_chain(app) -> str:
    from qinglang.services.audit import verify

    check = verify(app.governance)
    return f"intact, {check.entries:,} entries 完整" if check.ok else f"BROKEN 已损坏: {check.problem}"


def _write_report(app, workspace: Path) -> Path:
    from qinglang.services.report_render import render, write_atomic
    from qinglang.services.reports import regulator_report_for

    now = datetime.now(timezone.utc)
    since = datetime(now.year - 1, now.month, 1, tzinfo=timezone.utc)
    report = regulator_report_for(app, since, now + timedelta(days=1), period="month")
    out = workspace / "report.html"
    write_atomic(render(report, "html"), out)
    return out
