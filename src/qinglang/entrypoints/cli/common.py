"""Options and helpers shared by the CLI modules."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qinglang.bootstrap import App, build

HomeOpt = Annotated[
    Optional[Path],
    typer.Option("--home", help="Workspace folder (default: $QINGLANG_HOME or ./qinglang-data).", show_default=False),
]
DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="SQL store URL, e.g. postgresql://user@host/db (default: SQLite file in the workspace; env QINGLANG_DB).",
                 show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def get_app(home: Path | None, db: str | None = None) -> App:
    return build(home, db)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def progress_bar(title: str, enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr; yields a callback(step, done, total)."""
    if not enabled or not err.is_terminal:
        yield lambda step, done, total: None
        return
    with Progress(
        TextColumn("[bold]{task.fields[title]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None, title=title)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        yield update
