"""Records to link: a columnar table with per-column NumPy views and shared value codes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.errors import QinglangError


class Records:
    """An Arrow table of records, with cached NumPy views of its columns.

    Strings (and lists) become object arrays with None for nulls; numbers float64 with NaN;
    timestamps float64 epoch seconds; dates float64 epoch days.
    """

    def __init__(self, table: pa.Table | dict[str, Any]):
        if isinstance(table, dict):
            table = pa.table(table)
        self._table: pa.Table | None = table
        self._names = list(table.column_names)
        self.n = table.num_rows
        self._np: dict[str, np.ndarray] = {}
        self.small = False

    @classmethod
    def from_numpy(cls, columns: dict[str, np.ndarray]) -> "Records":
        """A few records held as NumPy arrays (object arrays for strings, None for null), no Arrow.

        For the real-time path: comparisons of a handful of pairs skip Arrow's per-call overhead.
        """
        self = cls.__new__(cls)
        self._table = None
        self._names = list(columns)
        self.n = len(next(iter(columns.values()))) if columns else 0
        self._np = dict(columns)
        self.small = True
        return self

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            self._table = pa.table({c: pa.array(list(self._np[c])) for c in self._names})
        return self._table

    def __len__(self) -> int:
        return self.n

    @property
    def columns(self) -> list[str]:
        return list(self._names)

    def has(self, name: str) -> bool:
        return name in self._names

    def arrow(self, name: str) -> pa.ChunkedArray:
        if name not in self._names:
            raise QinglangError(f"linkage: the records have no column {name!r} (columns: {self._names})")
        return self.table.column(name)

    def col(self, name: str) -> np.ndarray:
        got = self._np.get(name)
        if got is not None:
            return got
        arr = self.arrow(name)
        t = arr.type
        if pa.types.is_timestamp(t):
            scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[t.unit]
            out = pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False).astype("float64") / scale
            out[np.asarray(arr.is_null())] = np.nan
        elif pa.types.is_date(t):
            out = pc.cast(pc.cast(arr, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False).astype("float64")
            out[np.asarray(arr.is_null())] = np.nan
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
            out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        else:
            out = np.empty(len(arr), dtype=object)
            out[:] = arr.to_pylist()
        self._np[name] = out
        return out

    def derived(self, key: str, make) -> np.ndarray:
        """A cached array derived from this table's columns (parsed dates, hash parts, ...)."""
        got = self._np.get("\x00" + key)
        if got is None:
            got = self._np["\x00" + key] = make()
        return got

    def null_mask(self, name: str) -> np.ndarray:
        key = f"\x00null:{name}"
        got = self._np.get(key)
        if got is None and self.small:
            if name not in self._names:
                raise QinglangError(f"linkage: the records have no column {name!r} (columns: {self._names})")
            got = _missing(self._np[name])
            self._np[key] = got
        if got is None:
            arr = self.arrow(name)
            got = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                got |= np.asarray(pc.equal(arr, "").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
            self._np[key] = got
        return got


    def take(self, rows: np.ndarray) -> "Records":
        """Rows of these records as small NumPy records, with the arrays already derived from them (null masks,
        parsed values) taken along: a few candidates of a large prepared side are compared without recomputing."""
        out = Records.from_numpy({c: self.col(c)[rows] for c in self._names})
        out._np.update({k: v[rows] for k, v in self._np.items() if k.startswith("\x00")})
        return out


def _missing(values: np.ndarray) -> np.ndarray:
    """None, '' or NaN, elementwise (small records hold strings as Python objects)."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype != object:
        return np.zeros(values.shape, dtype=bool)
    return np.asarray(np.equal(values, None) | (values == "") | (values != values), dtype=bool)


def with_derived(records: "Records", derived: dict[str, str]) -> "Records":
    """Records with extra columns computed by SQL expressions (e.g. split_part(email, '@', 1))."""
    missing = {k: v for k, v in derived.items() if k not in records.columns}
    if not missing:
        return records
    import duckdb

    con = duckdb.connect()
    try:
        con.register("__rec", records.table)
        sel = ", ".join(f"({expr}) AS \"{name}\"" for name, expr in missing.items())
        try:
            extra = con.sql(f"SELECT {sel} FROM __rec").to_arrow_table()
        except duckdb.Error as e:
            raise QinglangError(f"linkage: a derived column failed ({', '.join(missing)}): {e}") from None
    finally:
        con.close()
    table = records.table
    for name in missing:
        table = table.append_column(name, extra[name])
    return Records(table)


def _factorize_strings(arrays: list[np.ndarray]):
    """`CodeBook._small_codes` for arrays of strings and nulls, hashed in C (Arrow) instead of a Python loop;
    None when some value is not a string (the loop converts those with str())."""
    if sum(len(a) for a in arrays) < 64:
        return None
    allv = np.concatenate([np.asarray(a, dtype=object) for a in arrays])
    try:
        enc = pa.array(allv, type=pa.string(), from_pandas=True).dictionary_encode()  # None, NaN -> null
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # a value that is not a string
        return None
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)  # first appearance order
    vals = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    empty = np.flatnonzero(vals == "")
    if len(empty):
        e = int(empty[0])
        codes[codes == e] = -1
        codes[codes > e] -= 1
        vals = np.delete(vals, e)
    counts = np.bincount(codes[codes >= 0], minlength=len(vals)).astype(np.float64)
    out, pos = [], 0
    for a in arrays:
        out.append(codes[pos:pos + len(a)])
        pos += len(a)
    return out, counts, vals


class CodeBook:
    """Integer codes of values shared by the left and right records, and their frequencies.

    Exact comparisons compare codes; term-frequency adjustment reads `tf` (share of records
    holding the value, over both sides).
    """

    def __init__(self, left: Records, right: Records, same: bool):
        self.left, self.right, self.same = left, right, same
        self._codes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._values: dict[str, np.ndarray] = {}
        self._groups: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._counts: dict[str, tuple[np.ndarray, float]] = {}
        self.tf_override: dict[str, Any] = {}  # column -> callable(values: np.ndarray) -> frequencies
        # column -> (holders of each left record's value, records with a value): counts over a population larger
        # than these records (a batch of the left records, compared where they live, against all of them)
        self.global_counts: dict[str, tuple[np.ndarray, float]] = {}

    @property
    def small(self) -> bool:
        return self.left.small and self.right.small

    def _small_codes(self, arrays: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Encoding of a few values (codes per array, counts, distinct values); '' and None -> -1.

        Codes number the distinct values in order of first appearance."""
        fast = _factorize_strings(arrays)
        if fast is not None:
            return fast
        index: dict[Any, int] = {}
        out = []
        for arr in arrays:
            codes = np.empty(len(arr), dtype=np.int64)
            for k, v in enumerate(arr):
                if v is None or v == "" or (isinstance(v, float) and v != v):
                    codes[k] = -1
                else:
                    codes[k] = index.setdefault(v if isinstance(v, str) else str(v), len(index))
            out.append(codes)
        vals = np.empty(len(index), dtype=object)
        for v, c in index.items():
            vals[c] = v
        allc = np.concatenate(out) if out else np.zeros(0, np.int64)
        counts = np.bincount(allc[allc >= 0], minlength=len(index)).astype(np.float64)
        return out, counts, vals

    def group(self, columns: tuple[str, ...] | list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Codes of several columns in one shared dictionary, so values compare across columns."""
        key = "\x1e".join(columns)
        got = self._groups.get(key)
        if got is not None:
            return got
        if self.small:
            arrays = []
            for col in columns:
                arrays.append(self.left.col(col))
                arrays.append(self.right.col(col))
            codes, _, _ = self._small_codes(arrays)
            got = {col: (codes[2 * k], codes[2 * k + 1]) for k, col in enumerate(columns)}
            self._groups[key] = got
            return got
        arrays = []
        for col in columns:
            arrays.append(self.left.arrow(col))
            if not self.same:
                arrays.append(self.right.arrow(col))
        chunks = []
        for a in arrays:
            chunks.extend(pc.cast(a, pa.string()).chunks)
        combined = pa.chunked_array(chunks, type=pa.string())
        combined = pc.if_else(pc.equal(combined, ""), pa.scalar(None, pa.string()), combined)
        idx = pc.dictionary_encode(combined).combine_chunks().indices.fill_null(-1).to_numpy(
            zero_copy_only=False).astype(np.int64)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        pos = 0
        for col in columns:
            lc = idx[pos:pos + self.left.n]
            pos += self.left.n
            if self.same:
                rc = lc
            else:
                rc = idx[pos:pos + self.right.n]
                pos += self.right.n
            out[col] = (lc, rc)
        self._groups[key] = out
        return out

    def counts(self, column: str) -> tuple[np.ndarray, float]:
        """(holders per code, records with a value) of a column."""
        self.get(column)
        return self._counts[column]

    def values(self, column: str) -> np.ndarray:
        """The distinct values of a column (object array of str), indexed by code."""
        self.get(column)
        return self._values[column]

    def get(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(left codes, right codes, frequency per code); code -1 is null or empty."""
        got = self._codes.get(column)
        if got is not None:
            return got
        got = self._get(column)
        if column in self.global_counts:
            held, total = self.global_counts[column]
            lc = got[0]
            counts = np.zeros(len(self._values[column]), dtype=np.float64)
            ok = lc >= 0
            counts[lc[ok]] = np.asarray(held, dtype=np.float64)[ok]
            self._counts[column] = (counts, float(total))
            got = (got[0], got[1], counts / float(total))
            self._codes[column] = got
        return got

    def _get(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.small:
            (lc, rc), counts, vals = self._small_codes(
                [self.left.col(column), self.right.col(column)] if not self.same else [self.left.col(column)] * 2)
            freq = counts / max(1.0, counts.sum())
            self._counts[column] = (counts, max(1.0, float(counts.sum())))
            got = (lc, rc, freq)
            self._codes[column] = got
            self._values[column] = vals
            return got
        la = self.left.arrow(column)
        parts = [la] if self.same else [la, self.right.arrow(column)]
        chunks = []
        for p in parts:
            if not (pa.types.is_string(p.type) or pa.types.is_large_string(p.type)):
                p = pc.cast(p, pa.string()) if not pa.types.is_list(p.type) else pc.cast(pc.binary_join(p, "\x1f"), pa.string())
            else:
                p = pc.cast(p, pa.string())
            chunks.extend(p.chunks)
        combined = pa.chunked_array(chunks, type=pa.string()) if chunks else pa.chunked_array([], type=pa.string())
        combined = pc.if_else(pc.equal(combined, ""), pa.scalar(None, pa.string()), combined)
        enc = pc.dictionary_encode(combined).combine_chunks()
        idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        n_codes = len(enc.dictionary)
        valid = idx >= 0
        counts = np.bincount(idx[valid], minlength=n_codes).astype(np.float64)
        freq = counts / max(1, int(valid.sum()))
        self._counts[column] = (counts, float(max(1, int(valid.sum()))))
        nl = self.left.n
        lc = idx[:nl]
        rc = lc if self.same else idx[nl:]
        got = (lc, rc, freq)
        self._codes[column] = got
        vals = np.empty(n_codes, dtype=object)
        vals[:] = enc.dictionary.to_pylist()
        self._values[column] = vals
        return got
