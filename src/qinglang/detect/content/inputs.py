"""Reading the files users hand to the content commands (posts to screen, rumours,
image hashes, labels): `.txt` one item per line, `.csv` with a header, `.jsonl`
one object per line. Errors name the file, the data row and the column.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from qinglang.errors import InputError, QinglangError


def read_rows(path: Path | str, required: tuple[str, ...] = ("text",), txt_column: str = "text") -> list[dict]:
    """Rows of a .txt/.csv/.jsonl file as dicts; `required` columns must be present and non-null."""
    path = Path(path)
    if not path.exists():
        raise QinglangError(f"file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(str(path), f"not valid UTF-8 (byte {e.start}, line {line})") from None
    rows: list[dict] = []
    if suffix == ".txt":
        for line in text.splitlines():
            rows.append({txt_column: line})
        return rows
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None:
            raise InputError(str(path), "the file is empty (a header row is needed)")
        missing = [c for c in required if c not in reader.fieldnames]
        if missing:
            raise InputError(str(path), f"missing column(s) {', '.join(missing)}; the header has "
                                        f"{', '.join(reader.fieldnames)}", row=None)
        try:
            for i, r in enumerate(reader, 1):
                if None in r:
                    raise InputError(str(path), "more fields than the header has", row=i)
                for c in required:
                    if r.get(c) is None:
                        raise InputError(str(path), "the field is missing", row=i, column=c)
                rows.append(r)
        except csv.Error as e:
            raise InputError(str(path), f"bad CSV ({e})", row=len(rows) + 1) from None
        return rows
    if suffix in (".jsonl", ".ndjson"):
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(str(path), f"not valid JSON ({e.msg})", row=i) from None
            if not isinstance(obj, dict):
                raise InputError(str(path), "each line must be a JSON object", row=i)
            for c in required:
                if c not in obj or obj[c] is None:
                    raise InputError(str(path), "the field is missing", row=i, column=c)
            rows.append(obj)
        return rows
    raise QinglangError(f"{path}: unsupported file type {suffix or '(none)'}; use .txt, .csv or .jsonl")
