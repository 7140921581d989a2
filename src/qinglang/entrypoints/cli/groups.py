"""Command groups that several slices add subcommands to.

`qinglang eval <what>` and `qinglang train <what>`: a slice's command module
does `from qinglang.entrypoints.cli.groups import eval_app` and decorates its
function with `@eval_app.command("fakefans")`.
"""

from __future__ import annotations

import typer

eval_app = typer.Typer(help="Measure detectors on labelled data (simulator truth and real sets).", no_args_is_help=True)
train_app = typer.Typer(help="Fit a model from a platform's own labels; later scans and screens use it.", no_args_is_help=True)
