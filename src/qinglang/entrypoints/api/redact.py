"""Identity values never leave the API: not raw (never stored), and not their keyed hashes either.

`redact(obj)` walks JSON-ready data and removes identity values wherever they appear:
an object {kind, value} whose kind is an identity kind loses its value, and under a key
naming identities (identities, identity_values, ...) strings that look like hashes are
replaced by "[redacted]". Kinds, counts and whether two accounts share a value stay:
that is what a reviewer needs.
"""

from __future__ import annotations

import re
from typing import Any

from qinglang.domain.vocab import IdentityKind

KINDS = {k.value for k in IdentityKind}
_HASHLIKE = re.compile(r"^[0-9a-fA-F]{24,}$|^[A-Za-z0-9_\-+/=]{32,}$")
VALUE_KEYS = {"value", "values", "hash", "hashes", "value_hash", "hashed_value", "identity_hash", "identity_value"}


def redact(obj: Any, _in_identity: bool = False) -> Any:
    if isinstance(obj, dict):
        ident_obj = obj.get("kind") in KINDS and ("value" in obj or "hash" in obj)
        out = {}
        for k, v in obj.items():
            key = str(k).lower()
            if (ident_obj or _in_identity) and key in VALUE_KEYS:
                continue
            out[k] = redact(v, _in_identity or "identit" in key)
        return out
    if isinstance(obj, list):
        return [redact(v, _in_identity) for v in obj]
    if _in_identity and isinstance(obj, str) and _HASHLIKE.match(obj) and obj not in KINDS:
        return "[redacted]"
    return obj
