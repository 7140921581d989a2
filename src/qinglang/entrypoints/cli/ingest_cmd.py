"""`qinglang ingest DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, err, get_app, out, print_json, progress_bar


def ingest(
    snapshot_dir: Annotated[Path, typer.Argument(help="Folder with <table>.csv|.jsonl|.parquet files (data contract).")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Load a platform snapshot into the workspace lake, all or nothing.

    Validates every table (types, enums, required columns, duplicate keys,
    references to accounts), hashes identity values with the workspace key, and
    upserts into typed Parquet. On any error nothing is kept and the exit code is 2.
    """
    from qinglang.lake.ingest import ingest as run

    app = get_app(home, db)
    with progress_bar("ingest", not json_out) as progress:
        report = run(app.settings, snapshot_dir, progress=progress)
    for w in report.warnings:
        err.print(f"warning: {w}")
    if json_out:
        print_json(report.as_dict())
        return
    if not report.changed:
        out.print("Nothing changed: the workspace already holds these rows. 数据无变化。")
    else:
        out.print(f"Ingested into {app.workspace.home} (lake version {report.version}). 导入完成。")
    for t in report.tables:
        out.print(f"  {t.table:<13} {t.rows_read:>11,} rows read  {t.added:>11,} added  {t.updated:>9,} updated  {t.total:>11,} total")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
