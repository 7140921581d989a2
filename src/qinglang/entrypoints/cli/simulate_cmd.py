"""`qinglang simulate`: generate a synthetic platform snapshot with ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from qinglang.entrypoints.cli.common import JsonOpt, out, print_json, progress_bar
from qinglang.errors import QinglangError


class _Format(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class _Order(str, Enum):
    time = "time"
    rank = "rank"
    both = "both"


def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write <table>.<ext> files and truth/ into.")],
    accounts: Annotated[int, typer.Option("--accounts", help="Accounts on the simulated platform.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives byte-identical files.")] = 7,
    closed: Annotated[
        Optional[int], typer.Option("--closed", help="Closed accounts in enforcements (default 1% of accounts).")
    ] = None,
    mega_followers: Annotated[
        Optional[int], typer.Option("--mega-followers", help="Give one head account this many followers.")
    ] = None,
    fmt: Annotated[_Format, typer.Option("--format", help="File format of the tables.")] = _Format.parquet,
    follow_order: Annotated[
        _Order,
        typer.Option("--follow-order", help="follows carry followed_at (time), only follow_rank (rank), or both."),
    ] = _Order.time,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a Chinese microblog platform (fake-fan farms, closed accounts and their
    comebacks, violating and disguised posts, bought engagement, reports) in the
    data-contract format, with ground truth under OUT/truth/ (see docs/simulator.md)."""
    from qinglang.sim import SimConfig
    from qinglang.sim import simulate as run

    try:
        cfg = SimConfig(
            out=out_dir, accounts=accounts, seed=seed, closed=closed, mega_followers=mega_followers,
            fmt=fmt.value, follow_order=follow_order.value,
        )
    except ValueError as exc:
        raise QinglangError(str(exc)) from None
    with progress_bar("simulate", not json_out) as progress:
        summary = run(cfg, progress=progress)
    if json_out:
        print_json(summary.as_dict())
        return
    out.print(f"Simulated {accounts:,} accounts (seed {seed}) into {out_dir} in {summary.seconds:.1f} s. 模拟完成。")
    for table, rows in summary.tables.items():
        out.print(f"  {table:<13} {rows:>12,} rows")
    out.print(f"Ground truth: {out_dir / 'truth'} ({', '.join(f'{k} {v:,}' for k, v in summary.truth.items())})")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
