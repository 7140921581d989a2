"""Keyed hashing of identity values (phone, device, ip, payment, id_document, email).

Raw identity values never reach disk: ingest, the registration check and the
watch list all hash through `IdentityHasher`, so the same phone written as
"+86 138-0013-8000" or "13800138000" gives the same hash within a workspace
(the key lives in the workspace or in QINGLANG_SECRET) and nothing outside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")


def normalise_identity(kind: str, value: str) -> str:
    """Canonical form of a raw identity value, so trivial rewrites hash alike."""
    v = (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip()
    kind = kind.strip().lower()
    if kind == "phone":
        digits = _NON_DIGITS.sub("", v)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        return digits
    if kind == "email":
        v = v.lower()
        local, _, domain = v.partition("@")
        local = local.split("+", 1)[0]
        return f"{local}@{domain}"
    if kind in ("device", "payment", "id_document"):
        return _SPACES.sub("", v).upper()
    if kind == "ip":
        return v.lower()
    return v


class IdentityHasher:
    """HMAC-SHA256 of (kind, normalised value), hex, truncated to 128 bits."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("identity hashing key must be at least 16 bytes")
        self._key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per value: the key is absorbed once

    def hash(self, kind: str, value: str) -> str:
        kind = kind.strip().lower()
        h = self._keyed.copy()
        h.update(f"{kind}\x1f{normalise_identity(kind, value)}".encode())
        return h.hexdigest()[:32]

    def hash_many(self, kinds: list[str | None], values: list[str | None]) -> list[str | None]:
        return [None if v is None or v == "" or k is None else self.hash(k, v) for k, v in zip(kinds, values)]
