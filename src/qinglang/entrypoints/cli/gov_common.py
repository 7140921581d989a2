"""Helpers shared by the governance command modules (cases, appeals, sanctions, audit, outbox ...)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from qinglang.entrypoints.cli.common import get_app
from qinglang.errors import QinglangError

ByOpt = Annotated[Optional[str], typer.Option("--by", help="Who acts (recorded in the audit log; default $QINGLANG_ACTOR or your login name).", show_default=False)]


def actor(name: str | None) -> str:
    """The acting person: --by / --reviewer, else $QINGLANG_ACTOR, else the login name."""
    value = (name or os.environ.get("QINGLANG_ACTOR") or _login() or "").strip()
    if not value:
        raise QinglangError("say who acts with --by NAME (or set QINGLANG_ACTOR)")
    return value


def _login() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def gov(home: Path | None, db: str | None):
    return get_app(home, db).governance


def split_list(values: list[str] | None) -> list[str] | None:
    """Repeatable options that also accept comma-separated values."""
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


def short(value: Any, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
