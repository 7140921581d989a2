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


def _email(column: str, related: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": column, "columns": [column], "related": list(related),
            "levels": [{"kind": "exact", "column": column, "tf": True, "label": "exact"},
                       {"kind": "exact", "column": f"{column}_user", "label": "same user part"},
                       # one typo; a fuzzier level would mostly measure the name the address is made of
                       {"kind": "damerau", "column": column, "max": 1, "label": "one typo"},
                       {"kind": "else", "label": "different"}]}


def _email_user(column: str) -> dict[str, str]:
    return {f"{column}_user": f"NULLIF(split_part({column}, '@', 1), '')"}


def _letters(column: str) -> str:
    """The letters of a value in sorted order: a swap or a doubled letter keeps most of the key."""
    return f"array_to_string(list_sort(list_distinct(string_split(lower({column}), ''))), '')"


FAKE_1000 = {
    "link_type": "dedupe",
    "derived": _email_user("email"),
    "blocking": [
        {"keys": ["first_name", "city"]},
        {"keys": ["surname"]},
        {"keys": ["dob"]},
        {"keys": ["email_user"], "columns": ["email"]},
        {"keys": ["first_name", "substr(dob, 1, 4)"], "columns": ["first_name", "dob"]},
        {"keys": ["substr(dob, 1, 4)", "city"], "columns": ["dob", "city"]},
        {"keys": ["substr(surname, 1, 3)", "substr(dob, 1, 4)"], "columns": ["surname", "dob"]},
        {"keys": [_letters("first_name"), "substr(dob, 1, 4)"], "columns": ["first_name", "dob"]},
        {"keys": [_letters("surname"), "substr(dob, 1, 4)"], "columns": ["surname", "dob"]},
    ],
    "comparisons": [_name("first_name"), _name("surname"), _dob("dob"), _exact("city"),
                    _email("email", related=("first_name", "surname"))],
}


# --- Splink historical figures 50k ---------------------------------------------------------
def load_historical_50k(root: Path) -> pa.Table:
    path = Path(root) / "splink" / "historical_figures_with_errors_50k.parquet"
    _exists(path)
    return pq.read_table(path)


def _postcode(column: str) -> dict[str, Any]:
    return {"name": column, "columns": [column],
            "levels": [{"kind": "exact", "column": column, "tf": True, "label": "exact"},
                       {"kind": "exact", "column": f"{column}_district", "label": "same district"},
                       {"kind": "exact", "column": f"{column}_area", "label": "same area"},
                       {"kind": "else", "label": "different"}]}


def _postcode_parts(column: str) -> dict[str, str]:
    return {f"{column}_district": f"NULLIF(split_part(lower(trim({column})), ' ', 1), '')",
            f"{column}_area": f"NULLIF(regexp_extract(lower(trim({column})), '^[a-z]+'), '')"}


HISTORICAL_50K = {
    "link_type": "dedupe",
    "derived": _postcode_parts("postcode_fake"),
    "blocking": [
        {"keys": ["first_name", "surname"]},
        {"keys": ["surname", "dob"]},
        {"keys": ["first_name", "dob"]},
        {"keys": ["postcode_fake"]},
        {"keys": ["dob"], "max_pairs_per_key": 2000},
        {"keys": ["surname"], "max_pairs_per_key": 5000},
        {"keys": ["birth_place", "substr(first_name, 1, 1)"], "columns": ["birth_place", "first_name"],
         "max_pairs_per_key": 5000},
        {"keys": ["unnest(string_split(full_name, ' '))"], "columns": ["first_name", "surname"],
         "max_pairs_per_key": 2000},
    ],
    "comparisons": [
        _name("first_name"), _name("surname"), _dob("dob"), _postcode("postcode_fake"),
        _exact("birth_place"), _exact("occupation"),
    ],
}


# --- synthetic people (linkage/synthetic.py), at any size ----------------------------------
SYNTHETIC = {
    "link_type": "dedupe",
    "derived": _email_user("email"),
    "blocking": [
        {"keys": ["first_name", "surname", "substr(dob, 1, 4)"], "columns": ["first_name", "surname", "dob"]},
        {"keys": ["surname", "dob"]},
        {"keys": ["first_name", "dob"]},
        {"keys": ["email_user"], "columns": ["email"]},
        {"keys": ["dob", "city"]},
    ],
    # the e-mail is made of the name: it learns nothing in sessions blocked on the name
    "comparisons": [_name("first_name"), _name("surname"), _dob("dob"), _exact("city"),
                    _email("email", related=("first_name", "surname"))],
}


DATASETS = {
    "febrl3": (load_febrl3, FEBRL3),
    "fake_1000": (load_fake_1000, FAKE_1000),
    "historical_50k": (load_historical_50k, HISTORICAL_50K),
}


def _exists(path: Path) -> None:
    if not path.exists():
        raise QinglangError(f"linkage data set not found: {path}")
