"""`qinglang outbox pull|ack|send|status`: events for the platform to apply, delivered at least once."""

from __future__ import annotations

import os
from typing import Annotated, List, Optional

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json, progress_bar
from qinglang.entrypoints.cli.gov_common import gov

outbox_app = typer.Typer(help="Outbox (待下发事件): sanctions, reversals, clean-ups and notices for the platform to apply.", no_args_is_help=True)


@outbox_app.command("pull")
def pull_cmd(limit: Annotated[int, typer.Option("--limit")] = 100,
             lease: Annotated[float, typer.Option("--lease", help="Seconds the events stay hidden from other consumers; unacknowledged ones come back after.")] = 300,
             ack: Annotated[bool, typer.Option("--ack", help="Acknowledge at once (at-most-once; prefer `outbox ack` after applying).")] = False,
             home: HomeOpt = None, db: DbOpt = None) -> None:
    """Print due events as JSON Lines (each with event_id and its idempotency key event_key)."""
    from qinglang.services.outbox import ack as ack_events
    from qinglang.services.outbox import pull

    g = gov(home, db)
    events = pull(g, limit=limit, lease_s=lease)
    for e in events:
        print_json(e)
    if ack and events:
        ack_events(g, [e["event_id"] for e in events])


@outbox_app.command("ack")
def ack_cmd(event_ids: Annotated[List[int], typer.Argument(help="Event ids the platform applied.")],
            home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Mark events as applied by the platform."""
    from qinglang.services.outbox import ack

    n = ack(gov(home, db), event_ids)
    print_json({"acknowledged": n}) if json_out else out.print(f"Acknowledged {n} event(s). 已确认。")


@outbox_app.command("send")
def send_cmd(url: Annotated[str, typer.Option("--url", help="Webhook receiving one POST per event.")],
             secret: Annotated[Optional[str], typer.Option("--secret", help="HMAC-SHA256 signing secret (default $QINGLANG_WEBHOOK_SECRET).", show_default=False)] = None,
             follow: Annotated[bool, typer.Option("--follow", help="Keep running, polling for new events.")] = False,
             batch: Annotated[int, typer.Option("--batch")] = 100,
             timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
             home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """POST due events to a webhook; failures retry with exponential backoff (nothing is dropped)."""
    from qinglang.services.outbox import send_webhooks

    with progress_bar("outbox", not json_out) as progress:
        r = send_webhooks(gov(home, db), url, secret=secret or os.environ.get("QINGLANG_WEBHOOK_SECRET"),
                          batch=batch, timeout=timeout, follow=follow, progress=progress)
    print_json(r) if json_out else out.print(f"Delivered {r['delivered']}, failed attempts {r['failed_attempts']} (retried later).")


@outbox_app.command("status")
def status_cmd(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Events queued, delivered, pending and failing."""
    from qinglang.services.outbox import stats

    s = stats(gov(home, db))
    if json_out:
        print_json(s)
    else:
        out.print(f"events {s['events']}, delivered {s['delivered']}, pending 待下发 {s['pending']}, failing 失败重试 {s['failing']}"
                  + (f", oldest pending {s['oldest_pending'][:19]}" if s.get("oldest_pending") else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
