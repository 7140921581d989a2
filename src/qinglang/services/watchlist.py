"""The watch list: persons or entities named in notices of other authorities (e.g. tax-evasion cases).

`qinglang watchlist add FILE` loads entries from CSV or JSONL; raw real-name identity values are
hashed with the workspace key at load (as ingest hashes identities) and never stored. Entries are
kept in <home>/reincarnation/watchlist.parquet, upserted by `entry_id`, written atomically. The
`watchlist_match` detector links accounts to them at the next scan.

File columns (CSV header or JSON keys):
- name (required): the person's or entity's name;
- entry_id: stable id (default: derived from name and source);
- kind: person | entity (default person); category: a contract category (default illegal_conduct);
- source: the notice or authority; note: free text;
- handles: known account names (CSV: `;`-separated; JSON: a list);
- phone, device, ip, payment, id_document, email: raw identity values (CSV: `;`-separated; JSON: a
  string or a list), or in JSON `identities: [{kind, value}]`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qinglang.domain.vocab import Category, IdentityKind
from qinglang.errors import InputError, QinglangError
from qinglang.lake.identity_hash import IdentityHasher

ID_KINDS = [k.value for k in IdentityKind]
KINDS = ("person", "entity")
KNOWN = {"entry_id", "name", "kind", "category", "source", "note", "handles", "identities", *ID_KINDS}

SCHEMA = pa.schema([
    ("entry_id", pa.string()),
    ("name", pa.string()),
    ("kind", pa.string()),
    ("category", pa.string()),
    ("source", pa.string()),
    ("note", pa.string()),
    ("handles", pa.list_(pa.string())),
    ("identity_hashes", pa.list_(pa.struct([("kind", pa.string()), ("value", pa.string())]))),
    ("added_at", pa.timestamp("s", tz="UTC")),
])


def watchlist_path(home: Path) -> Path:
    return Path(home) / "reincarnation" / "watchlist.parquet"


def read_entries(path: Path) -> pa.Table | None:
    if not Path(path).exists():
        return None
    try:
        return pq.read_table(path).cast(SCHEMA)
    except (pa.ArrowInvalid, OSError) as e:
        raise QinglangError(f"{path}: the watch list file is unreadable ({e}); add the entries again") from None


def _split(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    return [x.strip() for x in str(v).split(";") if x.strip()]


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    ext = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise QinglangError(f"cannot read {path}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    out: list[tuple[int, dict[str, Any]]] = []
    if ext == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames:
            raise InputError(str(path), "empty file: a header row with at least `name` is needed")
        if "name" not in [f.strip() for f in reader.fieldnames]:
            raise InputError(str(path), "the header has no `name` column", column="name")
        for n, row in enumerate(reader, start=1):
            out.append((n, {k.strip(): v for k, v in row.items() if k is not None}))
    elif ext == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(str(path), f"not valid JSON ({e.msg})", row=n) from None
            if not isinstance(obj, dict):
                raise InputError(str(path), "each line must be a JSON object", row=n)
            out.append((n, obj))
    else:
        raise QinglangError(f"{path}: a watch list file must be .csv or .jsonl")
    if not out:
        raise InputError(str(path), "no entries in the file")
    return out


def parse_entries(path: Path, hasher: IdentityHasher, now: datetime | None = None) -> pa.Table:
    """Validate and hash a watch-list file; every problem names the file, row and column."""
    now = now or datetime.now(timezone.utc)
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    seen: set[str] = set()
    fname = str(path)
    for n, row in _rows(Path(path)):
        unknown = set(row) - KNOWN
        if unknown:
            raise InputError(fname, f"unknown field(s) {sorted(unknown)}; known: {sorted(KNOWN)}", row=n,
                             column=sorted(unknown)[0])
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputError(fname, "a name is required", row=n, column="name")
        name = name.strip()
        kind = (row.get("kind") or "person").strip().lower()
        if kind not in KINDS:
            raise InputError(fname, f"kind must be one of {KINDS}, not {kind!r}", row=n, column="kind")
        cat = (row.get("category") or Category.ILLEGAL_CONDUCT.value).strip()
        if cat not in {c.value for c in Category}:
            raise InputError(fname, f"unknown category {cat!r}", row=n, column="category")
        source = (row.get("source") or "").strip() or None
        entry_id = (row.get("entry_id") or "").strip() if isinstance(row.get("entry_id"), str) else row.get("entry_id")
        if not entry_id:
            entry_id = "wl_" + hashlib.sha256(f"{name}\x1f{source or ''}".encode()).hexdigest()[:12]
        entry_id = str(entry_id)
        if entry_id in seen:
            raise InputError(fname, f"entry_id {entry_id!r} appears twice", row=n, column="entry_id")
        seen.add(entry_id)
        ids: list[dict[str, str]] = []
        for k in ID_KINDS:
            for v in _split(row.get(k)):
                ids.append({"kind": k, "value": hasher.hash(k, v)})
        extra = row.get("identities")
        if extra is not None:
            if not isinstance(extra, list):
                raise InputError(fname, "identities must be a list of {kind, value}", row=n, column="identities")
            for item in extra:
                if not isinstance(item, dict) or item.get("kind") not in ID_KINDS or not item.get("value"):
                    raise InputError(fname, f"each identity needs kind (one of {ID_KINDS}) and value", row=n,
                                     column="identities")
                ids.append({"kind": item["kind"], "value": hasher.hash(item["kind"], str(item["value"]))})
        cols["entry_id"].append(entry_id)
        cols["name"].append(name)
        cols["kind"].append(kind)
        cols["category"].append(cat)
        cols["source"].append(source)
        note = row.get("note")
        cols["note"].append(str(note) if note not in (None, "") else None)
        cols["handles"].append(_split(row.get("handles")))
        distinct = sorted({(d["kind"], d["value"]) for d in ids})
        cols["identity_hashes"].append([{"kind": k, "value": v} for k, v in distinct])
        cols["added_at"].append(now.replace(microsecond=0))
    return pa.table(cols, schema=SCHEMA)


def write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def merge(old: pa.Table | None, new: pa.Table) -> pa.Table:
    """Upsert by entry_id: new rows replace old ones with the same id (keeping their first added_at)."""
    if old is None or old.num_rows == 0:
        return new.sort_by("entry_id")
    first_added = dict(zip(old["entry_id"].to_pylist(), old["added_at"].to_pylist()))
    new_ids = set(new["entry_id"].to_pylist())
    keep = old.filter(pa.array([e not in new_ids for e in old["entry_id"].to_pylist()]))
    added = [first_added.get(e, a) for e, a in zip(new["entry_id"].to_pylist(), new["added_at"].to_pylist())]
    new = new.set_column(new.schema.get_field_index("added_at"), "added_at", pa.array(added, SCHEMA.field("added_at").type))
    return pa.concat_tables([keep, new]).sort_by("entry_id")


def add(app, file: Path) -> dict[str, Any]:
    """Load FILE into the workspace's watch list; returns counts."""
    ws = app.workspace
    with ws.write_lock():
        key, new_key = ws.identity_key()
        table = parse_entries(Path(file), IdentityHasher(key))
        if new_key:
            ws.save_identity_key(key)
        path = watchlist_path(ws.home)
        old = read_entries(path)
        old_ids = set(old["entry_id"].to_pylist()) if old is not None else set()
        merged = merge(old, table)
        write_atomic(merged, path)
    ids = table["entry_id"].to_pylist()
    return {"added": sum(e not in old_ids for e in ids), "updated": sum(e in old_ids for e in ids),
            "entries": merged.num_rows, "path": str(path)}


def list_entries(app) -> list[dict[str, Any]]:
    t = read_entries(watchlist_path(app.workspace.home))
    if t is None:
        return []
    rows = t.drop_columns(["identity_hashes"]).to_pylist()
    for r, ids in zip(rows, t["identity_hashes"].to_pylist()):
        r["identity_kinds"] = sorted({d["kind"] for d in ids or []})
        r["added_at"] = r["added_at"].isoformat() if r["added_at"] else None
    return rows
