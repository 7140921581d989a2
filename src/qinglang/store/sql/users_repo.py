"""Users and API tokens in the SQL store (tables `users`, `api_tokens`; migration 0002).

Used through a unit of work's connection (`SqlUsers(uow.conn)`), so a user change and
its audit entry commit together. Tokens are kept only as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from qinglang.store.sql import tables as T


class SqlUsers:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _rows(self, q) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def _one(self, q) -> dict[str, Any] | None:
        r = self.conn.execute(q).first()
        return dict(r._mapping) if r is not None else None

    # --- users ---------------------------------------------------------------------------
    def add(self, **values: Any) -> int:
        return int(self.conn.execute(sa.insert(T.users).values(**values)).inserted_primary_key[0])

    def by_name(self, name: str, for_update: bool = False) -> dict[str, Any] | None:
        q = sa.select(T.users).where(T.users.c.name == name)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return self._one(q)

    def update(self, user_id: int, **values: Any) -> None:
        self.conn.execute(sa.update(T.users).where(T.users.c.user_id == user_id).values(**values))

    def list(self) -> list[dict[str, Any]]:
        return self._rows(sa.select(T.users).order_by(T.users.c.name))

    # --- tokens --------------------------------------------------------------------------
    def add_token(self, **values: Any) -> int:
        return int(self.conn.execute(sa.insert(T.api_tokens).values(**values)).inserted_primary_key[0])

    def tokens(self, user_id: int | None = None) -> list[dict[str, Any]]:
        c = T.api_tokens.c
        q = sa.select(c.token_id, c.user_id, c.label, c.created_at, c.created_by, c.expires_at, c.revoked_at,
                      c.revoked_by, c.last_used_at)
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        return self._rows(q.order_by(c.token_id))

    def token(self, token_id: int) -> dict[str, Any] | None:
        c = T.api_tokens.c
        return self._one(sa.select(c.token_id, c.user_id, c.label, c.created_at, c.expires_at, c.revoked_at,
                                   c.last_used_at).where(c.token_id == token_id))

    def revoke_tokens(self, token_ids: list[int], at: datetime, by: str) -> None:
        if token_ids:
            c = T.api_tokens.c
            self.conn.execute(sa.update(T.api_tokens).where(c.token_id.in_(token_ids), c.revoked_at.is_(None))
                              .values(revoked_at=at, revoked_by=by))

    def lookup(self, token_hash: str) -> dict[str, Any] | None:
        """The token with this hash and its user (name, role, disabled_at)."""
        t, u = T.api_tokens.c, T.users.c
        q = (sa.select(t.token_id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, u.name, u.role, u.disabled_at)
             .join(T.users, u.user_id == t.user_id).where(t.token_hash == token_hash))
        return self._one(q)

    def touch(self, token_id: int, at: datetime) -> None:
        self.conn.execute(sa.update(T.api_tokens).where(T.api_tokens.c.token_id == token_id).values(last_used_at=at))
