"""`qinglang store info`: which SQL store a workspace uses, its schema revision and contents."""

from __future__ import annotations

import typer

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, out, print_json
from qinglang.entrypoints.cli.gov_common import gov

store_app = typer.Typer(help="The SQL store (SQLite by default, PostgreSQL with --db).", no_args_is_help=True)


@store_app.command("info")
def info_cmd(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """The store's URL (password hidden), schema revision, id and row counts (migrations apply on open)."""
    import sqlalchemy as sa

    from qinglang.store.sql import tables as T
    from qinglang.store.sql.engine import current_revision

    g = gov(home, db)
    store = g.store
    counts = {}
    with store.read() as uow:
        for name in ("cases", "sanctions", "appeals", "complaints", "guidance", "outbox", "audit_log", "registration_checks"):
            counts[name] = uow.conn.execute(sa.select(sa.func.count()).select_from(T.metadata.tables[name])).scalar()
    info = {"url": store.display_url, "dialect": store.dialect, "revision": current_revision(store.engine),
            "store_id": store.store_id, "rows": counts}
    if json_out:
        print_json(info)
        return
    out.print(f"{info['url']} ({info['dialect']}), schema revision {info['revision']}, store id {info['store_id']}")
    out.print(", ".join(f"{k} {v:,}" for k, v in counts.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
