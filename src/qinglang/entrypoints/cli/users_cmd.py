"""`qinglang users add|token|revoke|role|disable|list`: who may use the HTTP API and console, with which role."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qinglang.entrypoints.cli.common import DbOpt, HomeOpt, JsonOpt, get_app, out, print_json
from qinglang.entrypoints.cli.gov_common import ByOpt, actor

users_app = typer.Typer(help="API users, roles and tokens (用户与令牌). Tokens are stored only as hashes.",
                        no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option("--role", help="analyst, reviewer, senior_reviewer, admin or auditor (read-only).")]
ExpiresOpt = Annotated[float, typer.Option("--expires-days", help="The token expires after this many days.")]
NoExpiryOpt = Annotated[bool, typer.Option("--no-expiry", help="A token that never expires (for a service; revoke it when done).")]
LabelOpt = Annotated[Optional[str], typer.Option("--label", help="What the token is for (e.g. 'registration service').")]


def _store(home, db):
    return get_app(home, db).store


def _print_token(res: dict, json_out: bool) -> None:
    if json_out:
        # the token is also on the last line, alone, so `| tail -1` works in scripts
        print_json({k: v for k, v in res.items() if k != "token"})
    else:
        exp = res.get("expires_at") or "never 永不过期"
        out.print(f"User 用户 {res['name']} ({res['role']}), token 令牌 #{res['token_id']}, expires 到期 {exp}.")
        out.print("Keep this token secret; it is shown only once. 令牌只显示一次，请妥善保管。")
    print(res["token"], flush=True)


@users_app.command("add")
def add_cmd(name: Annotated[str, typer.Argument(help="User name (the actor in the audit log).")], role: RoleOpt,
            expires_days: ExpiresOpt = 90.0, no_expiry: NoExpiryOpt = False, label: LabelOpt = None,
            display_name: Annotated[Optional[str], typer.Option("--display-name", help="Full name shown in the console.")] = None,
            by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Create a user with a role; prints the new API token on the last line."""
    from qinglang.services.users import add_user

    res = add_user(_store(home, db), name, role, by=actor(by), expires_days=None if no_expiry else expires_days,
                   label=label, display_name=display_name)
    _print_token(res, json_out)


@users_app.command("token")
def token_cmd(name: Annotated[str, typer.Argument(help="User name.")], expires_days: ExpiresOpt = 90.0,
              no_expiry: NoExpiryOpt = False, label: LabelOpt = None, by: ByOpt = None, home: HomeOpt = None,
              db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Issue another token for a user; prints it on the last line."""
    from qinglang.services.users import issue_token

    res = issue_token(_store(home, db), name, by=actor(by), expires_days=None if no_expiry else expires_days, label=label)
    _print_token(res, json_out)


@users_app.command("revoke")
def revoke_cmd(name: Annotated[str, typer.Argument(help="User name.")],
               token_id: Annotated[Optional[int], typer.Option("--token-id", help="Revoke only this token (default: all of the user's tokens).")] = None,
               reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")] = "",
               by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Revoke a user's tokens; the API refuses them from then on."""
    from qinglang.services.users import revoke

    res = revoke(_store(home, db), name, by=actor(by), token_id=token_id, reason=reason)
    if json_out:
        print_json(res)
    else:
        ids = ", ".join(f"#{i}" for i in res["revoked_token_ids"]) or "none (no live tokens) 无"
        out.print(f"Revoked 已吊销 tokens of {name}: {ids}")


@users_app.command("role")
def role_cmd(name: Annotated[str, typer.Argument(help="User name.")], role: RoleOpt,
             reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")] = "",
             by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Change a user's role."""
    from qinglang.services.users import set_role

    res = set_role(_store(home, db), name, role, by=actor(by), reason=reason)
    if json_out:
        print_json(res)
    else:
        out.print(f"{name}: {res['previous_role']} → {res['role']}")


@users_app.command("disable")
def disable_cmd(name: Annotated[str, typer.Argument(help="User name.")],
                reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")] = "",
                by: ByOpt = None, home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Disable a user and revoke all their tokens (the record stays for the audit trail)."""
    from qinglang.services.users import disable_user

    res = disable_user(_store(home, db), name, by=actor(by), reason=reason)
    if json_out:
        print_json(res)
    else:
        out.print(f"Disabled 已停用 {name}")


@users_app.command("list")
def list_cmd(home: HomeOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Users, roles and their tokens (ids, expiry, state; never the tokens)."""
    from qinglang.services.users import list_users

    rows = list_users(_store(home, db))
    if json_out:
        print_json(rows)
        return
    t = Table("user 用户", "role 角色", "disabled 停用", "tokens 令牌 (id: state, expires)")
    for u in rows:
        toks = "; ".join(f"#{tk['token_id']}: {tk['state']}, {(tk['expires_at'] or 'never')[:10]}" for tk in u["tokens"])
        t.add_row(u["name"], u["role"], "yes" if u["disabled"] else "", toks or "-")
    out.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
