"""`qinglang demo`: simulate a platform, ingest it, run everything, print where to look next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qinglang.entrypoints.cli.common import JsonOpt, out, print_json, progress_bar


def demo(
    workspace: Annotated[Path, typer.Option("--workspace", help="Workspace folder to create or reuse (kept afterwards).")] = Path("qinglang-demo"),
    accounts: Annotated[int, typer.Option("--accounts", help="Accounts on the simulated platform.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed.")] = 7,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a mid-size platform, ingest it, run every detector and print a summary."""
    from qinglang.services.demo import run_demo

    with progress_bar("demo", not json_out) as progress:
        summary = run_demo(workspace, accounts, seed, progress)
    if json_out:
        print_json(summary)
        return
    for line in summary["lines"]:
        out.print(line)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
