"""`qinglang report --from --to [--format html|csv|xlsx|pdf] [--out FILE]`: the regulator report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, err, get_app
from qinglang.errors import QinglangError


def report_cmd(from_: Annotated[str, typer.Option("--from", help="Start: ISO date or time; without an offset, Beijing time (Asia/Shanghai).")],
               to: Annotated[str, typer.Option("--to", help="End, exclusive (e.g. --from 2025-01-01 --to 2025-04-01 is Q1).")],
               fmt: Annotated[str, typer.Option("--format", help="csv (rows only), xlsx, html or pdf (with trends and typical cases).")] = "csv",
               out_file: Annotated[Optional[Path], typer.Option("--out", help="Write here (written atomically); csv and html go to stdout without it.")] = None,
               period: Annotated[str, typer.Option("--period", help="Rows per day, week, month, quarter or year.")] = "month",
               typical: Annotated[int, typer.Option("--typical", help="How many typical cases the html/pdf/xlsx lists.")] = 10,
               home: HomeOpt = None, db: DbOpt = None) -> None:
    """Regulator report: sanctions, appeals, complaints, guidance, fake followers removed, registrations blocked,
    per (period, category, action, tier); pre-qinglang sanctions counted apart; trends and typical cases."""
    from qinglang.services.governance import parse_time
    from qinglang.services.report_render import render, write_atomic
    from qinglang.services.reports import FORMATS, regulator_report_for

    if fmt not in FORMATS:
        raise QinglangError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if out_file is None and fmt in ("xlsx", "pdf"):
        raise QinglangError(f"--format {fmt} is a binary file: give --out FILE.{fmt}")
    if typical < 0:
        raise QinglangError("--typical must be 0 or more")
    since, until = parse_time(from_, "--from"), parse_time(to, "--to")
    rep = regulator_report_for(get_app(home, db), since, until, period, typical=typical)
    data = render(rep, fmt)
    if out_file is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    write_atomic(data, out_file)
    t = rep["totals"]
    err.print(f"Wrote 已生成 {out_file} ({fmt}, {len(rep['rows'])} rows): {t['sanctions']} sanctions "
              f"({t['reversed']} overturned), {rep['headline']['accounts_sanctioned']} accounts, "
              f"{t['prior_sanctions']} pre-qinglang sanctions.", markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
