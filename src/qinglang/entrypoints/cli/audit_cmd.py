"""`qinglang audit verify|export|checkpoint`: the hash-chained audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import gov

audit_app = typer.Typer(help="The audit log (审计日志): every state change, hash-chained.", no_args_is_help=True)


@audit_app.command("verify")
def verify_cmd(file: Annotated[Optional[Path], typer.Option("--file", help="Verify an exported segment (JSON Lines) instead of the store.")] = None,
               home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Check the hash chain, its head and the workspace checkpoint; exit 1 naming the first bad entry."""
    from qinglang.services.audit import verify, verify_file

    check = verify_file(file) if file is not None else verify(gov(home, db))
    if json_out:
        print_json(check.as_dict())
    elif check.ok:
        out.print(f"Audit chain intact 审计链完整: {check.entries:,} entries, head #{check.head_seq} {check.head_hash[:16]}…")
        for n in check.notes:
            out.print(f"  {n}")
    if not check.ok:
        typer.echo(f"Audit chain BROKEN 审计链被篡改: first bad entry #{check.problem.seq}: {check.problem.reason}",
                   err=True)
        raise typer.Exit(1)


@audit_app.command("export")
def export_cmd(from_: Annotated[Optional[str], typer.Option("--from", help="Start (ISO date/time; dates are Beijing time).")] = None,
               to: Annotated[Optional[str], typer.Option("--to", help="End, exclusive.")] = None,
               out_file: Annotated[Optional[Path], typer.Option("--out", help="Write JSON Lines here (default stdout).")] = None,
               home: HomeOpt = None, db: DbOpt = None) -> None:
    """Entries of a period as JSON Lines with their hashes, verifiable on their own (`audit verify --file`)."""
    from qinglang.services.audit import export
    from qinglang.services.governance import parse_time

    since = parse_time(from_, "--from") if from_ else None
    until = parse_time(to, "--to") if to else None
    summary = export(gov(home, db), out_file, since, until)
    if out_file is not None:
        out.print(f"Exported {summary['entries']:,} entries (#{summary['first_seq']}–#{summary['last_seq']}) to {out_file}.")


@audit_app.command("checkpoint")
def checkpoint_cmd(outbox: Annotated[bool, typer.Option("--outbox", help="Also publish the head as an outbox event (kept outside qinglang).")] = False,
                   home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Write the chain head to the workspace checkpoint now (it is also written after every change)."""
    from qinglang.services.audit import checkpoint

    r = checkpoint(gov(home, db), to_outbox=outbox)
    print_json(r) if json_out else out.print(f"Checkpoint: entry #{r['seq']} {r['hash'][:16]}… in {r['file']}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
