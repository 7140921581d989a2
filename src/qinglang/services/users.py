"""Users, roles and API tokens of the HTTP API and console.

A user has a name (the actor recorded in the audit log for everything done with
their tokens) and one role:

  analyst          investigates: reads everything, runs real-time checks and screening,
                   takes in complaints, opens cases, adds notes, files appeals, makes reports
  reviewer         analyst + claims and decides cases, handles complaints, records guidance
  senior_reviewer  reviewer + second reviews, reassignment, appeals, the audit log
  admin            everything, including users and tokens
  auditor          read-only, for a regulator's inspection: cases, decisions, appeals,
                   the audit log and its chain status, reports; changes nothing

A token is a random 256-bit secret shown once (`ql_...`); the store keeps only its
SHA-256. Tokens expire (default 90 days) and can be revoked; a disabled user's
tokens stop working. Every change here is in the audit log with its actor; the
log never holds a token or its hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from qinglang.errors import Conflict, NotFound, QinglangError
from qinglang.services.governance import jsonable
from qinglang.store.sql.users_repo import SqlUsers

TOKEN_PREFIX = "ql_"
DEFAULT_EXPIRY_DAYS = 90
TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is refreshed at most this often per token
_NAME = re.compile(r"^[\w.@-]{1,64}$")
RESERVED_PREFIXES = ("qinglang",)  # automation actors (qinglang-policy, qinglang-intake, ...)


class Role(StrEnum):
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    SENIOR_REVIEWER = "senior_reviewer"
    ADMIN = "admin"
    AUDITOR = "auditor"


ROLE_LABELS = {
    Role.ANALYST: ("分析师", "analyst"),
    Role.REVIEWER: ("审核员", "reviewer"),
    Role.SENIOR_REVIEWER: ("高级审核员", "senior reviewer"),
    Role.ADMIN: ("管理员", "administrator"),
    Role.AUDITOR: ("监督检查（只读）", "auditor (read-only)"),
}


class AuthError(QinglangError):
    """A token that is missing, unknown, expired, revoked or belongs to a disabled user."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's owner and role."""

    name: str
    role: str
    user_id: int
    token_id: int
    expires_at: datetime | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise QinglangError(f"--role must be one of {', '.join(r.value for r in Role)}, not {role!r}")
    return role


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise QinglangError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@'")
    if name.lower().startswith(RESERVED_PREFIXES):
        raise QinglangError(f"user name {name!r}: names starting with 'qinglang' are reserved for automation")
    return name


def _now(now: datetime | None) -> datetime:
    t = now or datetime.now(timezone.utc)
    if t.tzinfo is None:
        raise QinglangError("times must carry a time zone")
    return t.astimezone(timezone.utc)


def _expiry(now: datetime, expires_days: float | None) -> datetime | None:
    if expires_days is None:
        return None
    if expires_days <= 0:
        raise QinglangError("--expires-days must be positive (or use --no-expiry)")
    return now + timedelta(days=float(expires_days))


def _new_token(users: SqlUsers, user_id: int, by: str, now: datetime, expires_at: datetime | None,
               label: str | None) -> tuple[str, int]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tid = users.add_token(user_id=user_id, token_hash=hash_token(token), label=label, created_at=now, created_by=by,
                          expires_at=expires_at)
    return token, tid


def add_user(store, name: str, role: str, *, by: str, expires_days: float | None = DEFAULT_EXPIRY_DAYS,
             label: str | None = None, display_name: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Create a user with a first token; returns the user and the token (shown once)."""
    name = check_name(name)
    check_role(role)
    t = _now(now)
    expires_at = _expiry(t, expires_days)

    def work(uow):
        users = SqlUsers(uow.conn)
        if users.by_name(name, for_update=True) is not None:
            raise Conflict(f"user {name!r} exists; `qinglang users token {name}` gives them a new token")
        uid = users.add(name=name, role=role, display_name=display_name, created_at=uow.now, created_by=by)
        token, tid = _new_token(users, uid, by, uow.now, expires_at, label)
        uow.audit("user.added", "user", name, None, {"role": role, "display_name": display_name}, f"role {role}")
        uow.audit("user.token_issued", "user", name, None,
                  {"token_id": tid, "expires_at": jsonable(expires_at), "label": label}, "first token")
        return uid, token, tid

    uid, token, tid = store.run(work, actor=by, now=t)
    return {"user_id": uid, "name": name, "role": role, "token_id": tid, "expires_at": jsonable(expires_at),
            "token": token}


def issue_token(store, name: str, *, by: str, expires_days: float | None = DEFAULT_EXPIRY_DAYS,
                label: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A new token for an existing user (their other tokens keep working until revoked)."""
    t = _now(now)
    expires_at = _expiry(t, expires_days)

    def work(uow):
        users = SqlUsers(uow.conn)
        u = users.by_name(name, for_update=True)
        if u is None:
            raise NotFound(f"no user {name!r}; `qinglang users list` shows them")
        if u["disabled_at"] is not None:
            raise Conflict(f"user {name!r} is disabled")
        token, tid = _new_token(users, u["user_id"], by, uow.now, expires_at, label)
        uow.audit("user.token_issued", "user", name, None,
                  {"token_id": tid, "expires_at": jsonable(expires_at), "label": label}, label or "")
        return token, tid, u["role"]

    token, tid, role = store.run(work, actor=by, now=t)
    _cache.clear()
    return {"name": name, "role": role, "token_id": tid, "expires_at": jsonable(expires_at), "token": token}


def revoke(store, name: str, *, by: str, token_id: int | None = None, reason: str = "",
           now: datetime | None = None) -> dict[str, Any]:
    """Revoke one of the user's tokens, or all of them; they are refused from then on."""
    def work(uow):
        users = SqlUsers(uow.conn)
        u = users.by_name(name, for_update=True)
        if u is None:
            raise NotFound(f"no user {name!r}; `qinglang users list` shows them")
        live = [tk["token_id"] for tk in users.tokens(u["user_id"]) if tk["revoked_at"] is None]
        if token_id is not None:
            if token_id not in {tk["token_id"] for tk in users.tokens(u["user_id"])}:
                raise NotFound(f"user {name!r} has no token {token_id}")
            if token_id not in live:
                raise Conflict(f"token {token_id} of {name!r} is already revoked")
            live = [token_id]
        users.revoke_tokens(live, uow.now, by)
        if live:
            uow.audit("user.token_revoked", "user", name, {"token_ids": live}, {"revoked": True}, reason)
        return live

    done = store.run(work, actor=by, now=_now(now))
    _cache.clear()
    return {"name": name, "revoked_token_ids": done}


def set_role(store, name: str, role: str, *, by: str, reason: str = "", now: datetime | None = None) -> dict[str, Any]:
    check_role(role)

    def work(uow):
        users = SqlUsers(uow.conn)
        u = users.by_name(name, for_update=True)
        if u is None:
            raise NotFound(f"no user {name!r}")
        if u["role"] != role:
            users.update(u["user_id"], role=role)
            uow.audit("user.role_changed", "user", name, {"role": u["role"]}, {"role": role}, reason)
        return u["role"]

    before = store.run(work, actor=by, now=_now(now))
    _cache.clear()
    return {"name": name, "role": role, "previous_role": before}


def disable_user(store, name: str, *, by: str, reason: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Disable a user: all their tokens stop working at once (the record stays for the audit trail)."""
    def work(uow):
        users = SqlUsers(uow.conn)
        u = users.by_name(name, for_update=True)
        if u is None:
            raise NotFound(f"no user {name!r}")
        if u["disabled_at"] is not None:
            raise Conflict(f"user {name!r} is already disabled")
        users.update(u["user_id"], disabled_at=uow.now)
        live = [tk["token_id"] for tk in users.tokens(u["user_id"]) if tk["revoked_at"] is None]
        users.revoke_tokens(live, uow.now, by)
        uow.audit("user.disabled", "user", name, {"disabled": False}, {"disabled": True, "token_ids": live}, reason)

    store.run(work, actor=by, now=_now(now))
    _cache.clear()
    return show_user(store, name)


def show_user(store, name: str, now: datetime | None = None) -> dict[str, Any]:
    t = _now(now)
    with store.read() as uow:
        users = SqlUsers(uow.conn)
        u = users.by_name(name)
        if u is None:
            raise NotFound(f"no user {name!r}")
        return _user_json(u, users.tokens(u["user_id"]), t)


def list_users(store, now: datetime | None = None) -> list[dict[str, Any]]:
    t = _now(now)
    with store.read() as uow:
        users = SqlUsers(uow.conn)
        toks: dict[int, list] = {}
        for tk in users.tokens():
            toks.setdefault(tk["user_id"], []).append(tk)
        return [_user_json(u, toks.get(u["user_id"], []), t) for u in users.list()]


def _token_state(tk: dict[str, Any], now: datetime) -> str:
    if tk["revoked_at"] is not None:
        return "revoked"
    if tk["expires_at"] is not None and tk["expires_at"] <= now:
        return "expired"
    return "active"


def _user_json(u: dict[str, Any], tokens: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return jsonable({
        "name": u["name"], "role": u["role"], "display_name": u["display_name"], "created_at": u["created_at"],
        "created_by": u["created_by"], "disabled": u["disabled_at"] is not None, "disabled_at": u["disabled_at"],
        "tokens": [{"token_id": tk["token_id"], "label": tk["label"], "created_at": tk["created_at"],
                    "expires_at": tk["expires_at"], "revoked_at": tk["revoked_at"],
                    "last_used_at": tk["last_used_at"], "state": _token_state(tk, now)} for tk in tokens],
    })


# --- authentication ---------------------------------------------------------------------
class _AuthCache:
    """Verified tokens for a second, so a burst of calls costs one lookup; cleared by every change here.

    A change made by another process (a `qinglang users revoke` on the command line) is seen
    within `ttl` seconds.
    """

    def __init__(self, ttl: float = 1.0, size: int = 4096):
        self.ttl = ttl
        self.size = size
        self._mu = threading.Lock()
        self._d: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, key: str, mono: float) -> dict[str, Any] | None:
        with self._mu:
            hit = self._d.get(key)
        if hit is None or mono - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, key: str, mono: float, row: dict[str, Any]) -> None:
        with self._mu:
            if len(self._d) >= self.size:
                self._d.clear()
            self._d[key] = (mono, row)

    def clear(self) -> None:
        with self._mu:
            self._d.clear()


_cache = _AuthCache()
_touched: dict[int, datetime] = {}


def authenticate(store, token: str | None, now: datetime | None = None) -> Principal:
    """The principal of a bearer token; AuthError says why it is refused."""
    import time

    if not token:
        raise AuthError("no API token: send `Authorization: Bearer TOKEN` (`qinglang users add NAME --role ROLE` makes one)")
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthError("not a qinglang API token")
    t = _now(now)
    key = hash_token(token)
    mono = time.monotonic()
    row = _cache.get(key, mono) if now is None else None
    if row is None:
        with store.read() as uow:
            row = SqlUsers(uow.conn).lookup(key)
        if row is None:
            raise AuthError("unknown API token")
        if now is None:
            _cache.put(key, mono, row)
    if row["disabled_at"] is not None:
        raise AuthError(f"user {row['name']} is disabled")
    if row["revoked_at"] is not None:
        raise AuthError("this API token was revoked")
    if row["expires_at"] is not None and row["expires_at"] <= t:
        raise AuthError("this API token has expired; ask an administrator for a new one (`qinglang users token NAME`)")
    last = _touched.get(row["token_id"]) or row["last_used_at"]
    if last is None or t - last >= TOUCH_EVERY:
        _touched[row["token_id"]] = t
        # off the caller's thread: a busy database must neither slow nor refuse a valid token
        threading.Thread(target=_touch, args=(store, row["token_id"], t), daemon=True).start()
    return Principal(name=row["name"], role=row["role"], user_id=row["user_id"], token_id=row["token_id"],
                     expires_at=row["expires_at"])


def _touch(store, token_id: int, t: datetime) -> None:
    try:
        with store.engine.begin() as conn:
            SqlUsers(conn).touch(token_id, t)
    except Exception:  # noqa: BLE001 - last_used_at is informational
        pass


def clear_cache() -> None:
    _cache.clear()
