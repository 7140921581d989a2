"""Linkage configurations for person records, and loaders for the public linkage sets.

The sets (Splink's demo data, MIT; Febrl dataset3, Christen) are read from a folder the
caller names (the project's ../shared/datasets/linkage); nothing is shipped. Each
loader returns an Arrow table with a ``cluster`` column (the true entity) used only to
score the result.

The configurations are written from what each column is (names: exact / Jaro-Winkler;
dates: exact / one edit / within a month, a year, ten years; codes: exact with term
frequencies), not fitted to the labels. Blocking uses several complementary rules so
that a record with an error in any one field still meets its twins through another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qinglang.errors import QinglangError


def _name(column: str, tf: bool = True) -> dict[str, Any]:
    return {
        "name": column,
        "columns": [column],
        "levels": [
            {"kind": "exact", "column": column, "tf": tf, "label": "exact"},
            {"kind": "jaro_winkler", "column": column, "min": 0.92, "label": "jaro-winkler >= 0.92"},
            {"kind": "jaro_winkler", "column": column, "min": 0.88, "label": "jaro-winkler >= 0.88"},
            {"kind": "jaro_winkler", "column": column, "min": 0.70, "label": "jaro-winkler >= 0.70"},
            {"kind": "else", "label": "different"},
        ],
    }


def _dob(column: str) -> dict[str, Any]:
    return {
        "name": column,
        "columns": [column],
        "levels": [
            {"kind": "exact", "column": column, "label": "exact"},
            {"kind": "damerau", "column": column, "max": 1, "label": "one typo"},
            {"kind": "date_diff", "column": column, "max_days": 31, "label": "within a month"},
            {"kind": "date_diff", "column": column, "max_days": 366, "label": "within a year"},
            {"kind": "date_diff", "column": column, "max_days": 3653, "label": "within ten years"},
            {"kind": "else", "label": "different"},
        ],
    }


def _exact(column: str, tf: bool = True) -> dict[str, Any]:
    return {"name": column, "columns": [column],
            "levels": [{"kind": "exact", "column": column, "tf": tf, "label": "exact"},
                       {"kind": "else", "label": "different"}]}


def _code(column: str, typos: int = 1) -> dict[str, Any]:
    return {"name": column, "columns": [column],
            "levels": [{"kind": "exact", "column": column, "tf": True, "label": "exact"},
                       {"kind": "damerau", "column": column, "max": typos, "label": f"<= {typos} typo"},
                       {"kind": "else", "label": "different"}]}


# --- Febrl dataset3 ------------------------------------------------------------------------
def load_febrl3(root: Path) -> pa.Table:
    path = Path(root) / "febrl" / "dataset3.csv"
    _exists(path)
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
    t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=True))
    t = t.rename_columns([c.strip() for c in t.column_names])
    cols = {}
    for c in t.column_names:
        cols[c] = pc.utf8_trim_whitespace(t[c])
    t = pa.table(cols)
    cluster = pc.replace_substring_regex(t["rec_id"], r"^rec-(\d+)-.*$", r"\1")
    t = t.append_column("cluster", cluster)
    return t.rename_columns(["unique_id" if c == "rec_id" else c for c in t.column_names])


FEBRL3 = {
    "link_type": "dedupe",
    "blocking": [
        {"keys": ["given_name", "surname"]},
        {"keys": ["date_of_birth"]},
        {"keys": ["soc_sec_id"]},
        {"keys": ["postcode", "street_number"]},
        {"keys": ["substr(surname, 1, 2)", "substr(date_of_birth, 1, 4)"], "columns": ["surname", "date_of_birth"]},
        {"keys": ["substr(given_name, 1, 2)", "suburb"], "columns": ["given_name", "suburb"]},
    ],
    "comparisons": [
        _name("given_name"), _name("surname"), _dob("date_of_birth"), _code("soc_sec_id", 2),
        _exact("street_number"), _code("postcode", 1), _name("address_1", tf=False), _exact("suburb"),
    ],
}


# --- Splink fake_1000 ----------------------------------------------------------------------
def load_fake_1000(root: Path) -> pa.Table:
    path = Path(root) / "splink" / "fake_1000.csv"
    _exists(path)
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in ("unique_id", "first_name", "surname", "dob", "city", "email", "cluster")},
        strings_can_be_null=True))


def _email(column: str) -> dict[str, Any]:
    user = f"split_part({column}, '@', 1)"
    return {"name": column, "columns": [column],
            "levels": [{"kind": "exact", "column": column, "tf": True, "label": "exact"},
                       {"kind": "custom", "function": "email_user_exact", "column": column, "label": "same user part"},
                       {"kind": "jaro_winkler", "column": column, "min": 0.88, "label": "jaro-winkler >= 0.88"},
                       {"kind": "else", "label": "different"}], "description": user}


FAKE_1000 = {
    "link_type": "dedupe",
    "blocking": [
        {"keys": ["first_name", "city"]},
        {"keys": ["surname"]},
        {"keys": ["dob"]},
        {"keys": ["email"]},
        {"keys": ["first_name", "substr(dob, 1, 4)"], "columns": ["first_name", "dob"]},
    ],
    "comparisons": [_name("first_name"), _name("surname"), _dob("dob"), _exact("city"), _email("email")],
}


# --- Splink historical figures 50k ---------------------------------------------------------
def load_historical_50k(root: Path) -> pa.Table:
    path = Path(root) / "splink" / "historical_figures_with_errors_50k.parquet"
    _exists(path)
    return pq.read_table(path)


def _postcode(column: str) -> dict[str, Any]:
    return {"name": column, "columns": [column],
            "levels": [{"kind": "exact", "column": column, "tf": True, "label": "exact"},
                       {"kind": "custom", "function": "postcode_district", "column": column, "label": "same district"},
                       {"kind": "custom", "function": "postcode_area", "column": column, "label": "same area"},
                       {"kind": "else", "label": "different"}]}


HISTORICAL_50K = {
    "link_type": "dedupe",
    "blocking": [
        {"keys": ["first_name", "surname"]},
        {"keys": ["surname", "dob"]},
        {"keys": ["first_name", "dob"]},
        {"keys": ["postcode_fake"]},
        {"keys": ["dob", "substr(first_name, 1, 1)"], "columns": ["dob", "first_name"]},
        {"keys": ["surname", "birth_place"]},
        {"keys": ["first_name", "birth_place", "occupation"]},
        {"keys": ["substr(dob, 1, 4)", "birth_place", "gender"], "columns": ["dob", "birth_place", "gender"],
         "max_pairs_per_key": 20000},
    ],
    "comparisons": [
        _name("first_name"), _name("surname"), _dob("dob"), _postcode("postcode_fake"),
        _exact("birth_place"), _exact("occupation"),
    ],
}


DATASETS = {
    "febrl3": (load_febrl3, FEBRL3),
    "fake_1000": (load_fake_1000, FAKE_1000),
    "historical_50k": (load_historical_50k, HISTORICAL_50K),
}


def _exists(path: Path) -> None:
    if not path.exists():
        raise QinglangError(f"linkage data set not found: {path}")


# --- custom level functions used above -----------------------------------------------------
def _register() -> None:
    import numpy as np

    from qinglang.linkage.levels import register_function

    @register_function("email_user_exact")
    def email_user_exact(f, sel, params):
        col = params["column"]
        a, b = f.l(col, sel), f.r(col, sel)
        return np.fromiter((bool(x) and bool(y) and x.split("@")[0] == y.split("@")[0] for x, y in zip(a, b)),
                           dtype=bool, count=len(sel))

    def _pc_part(v: str, part: str) -> str:
        v = v.strip().lower()
        outward = v.split(" ")[0]
        if part == "district":
            return outward
        area = "".join(ch for ch in outward if ch.isalpha())[:2]
        return area

    def _pc(part: str):
        def fn(f, sel, params):
            col = params["column"]
            a, b = f.l(col, sel), f.r(col, sel)
            return np.fromiter((bool(x) and bool(y) and _pc_part(x, part) == _pc_part(y, part) for x, y in zip(a, b)),
                               dtype=bool, count=len(sel))
        return fn

    register_function("postcode_district")(_pc("district"))
    register_function("postcode_area")(_pc("area"))


_register()
