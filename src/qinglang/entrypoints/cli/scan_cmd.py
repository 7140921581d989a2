"""`qinglang scan`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, err, get_app, out, print_json, progress_bar


def scan(
    only: Annotated[Optional[str], typer.Option("--only", help="Run one detector group: fakefans, reincarnation or content.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="Batch engine: duckdb (embedded) or spark.")] = "duckdb",
    spark_master: Annotated[Optional[str], typer.Option("--spark-master", help="Spark master URL (with --engine spark), e.g. local[2], spark://host:7077, yarn, k8s://...")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run detectors over the lake, replace their findings, and open or update cases."""
    from qinglang.services.scan import run_scan

    if spark_master and engine != "spark":
        from qinglang.errors import QinglangError

        raise QinglangError("--spark-master goes with --engine spark")
    app = get_app(home, db)
    options = {"master": spark_master} if engine == "spark" and spark_master else {}
    with progress_bar("scan", not json_out) as progress:
        report = run_scan(app, only=only, engine_name=engine, progress=progress, engine_options=options)
    if json_out:
        print_json(report.as_dict())
        return
    if not report.runs:
        err.print("No detectors are installed for this selection yet.")
    t = Table("detector 检测器", "group 组", "findings 发现", "seconds 秒", "note 备注")
    for r in report.runs:
        t.add_row(r.name, r.group, f"{r.findings:,}", f"{r.seconds:.1f}", r.skipped or "")
    out.print(t)
    if report.cases:
        out.print("Cases 案件: " + ", ".join(f"{k} {v}" for k, v in report.cases.items()))


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
