"""`qinglang figures`: governance counts by period, category, action and tier (for reports)."""

from __future__ import annotations

import csv
import os
import uuid
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import gov


def figures_cmd(from_: Annotated[str, typer.Option("--from", help="Start (ISO date; Beijing time).")],
                to: Annotated[str, typer.Option("--to", help="End, exclusive.")],
                period: Annotated[str, typer.Option("--period", help="day, week, month, quarter, year.")] = "month",
                csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the rows as CSV here.")] = None,
                home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Sanctions, appeals, complaints, guidance, fake followers removed and registrations blocked, per period."""
    from qinglang.services.figures import COLUMNS, figures, totals
    from qinglang.services.governance import parse_time

    rows = figures(gov(home, db), parse_time(from_, "--from"), parse_time(to, "--to"), period)
    if csv_out is not None:
        tmp = csv_out.with_name(f".{csv_out.name}.{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, csv_out)
    if json_out:
        print_json({"rows": rows, "totals": totals(rows)})
        return
    t = Table(*COLUMNS)
    for r in rows:
        t.add_row(*[str(r[c]) for c in COLUMNS])
    out.print(t)
    out.print("Totals 合计: " + ", ".join(f"{k} {v}" for k, v in totals(rows).items()))


def register(app: typer.Typer) -> None:
    app.command("figures")(figures_cmd)
