"""`qinglang export findings`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, get_app, out, print_json

export_app = typer.Typer(help="Export tables for other tools.", no_args_is_help=True)


@export_app.command("findings")
def export_findings(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write (columns: kind, subject_id, related_id, score, category, evidence, ...).")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write every detector's findings as the data contract's CSV (header only when there are none)."""
    app = get_app(home, db)
    n = app.findings.export_csv(out_file)
    if json_out:
        print_json({"out": str(out_file), "rows": n})
    else:
        out.print(f"Wrote {n:,} findings to {out_file}. 已导出。")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
