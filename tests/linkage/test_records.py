"""Records held as NumPy (the real-time path) treat missing values as the Arrow form does, and a subset taken
from prepared records keeps what was derived from them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from qinglang.linkage.levels import hex_parsed, parsed
from qinglang.linkage.records import Records


def test_small_records_see_the_same_missing_values_as_arrow_records():
    names = ["李明", None, "", "Lily", None]
    days = [1.0, None, 3.0, None, 5.0]  # NumPy holds a missing number as NaN
    big = Records(pa.table({"name": pa.array(names, pa.string()), "days": pa.array(days, pa.float64())}))
    small_names = np.empty(len(names), dtype=object)
    small_names[:] = names
    small = Records.from_numpy({"name": small_names, "days": np.array([1.0, np.nan, 3.0, np.nan, 5.0])})
    for col in ("name", "days"):
        np.testing.assert_array_equal(small.null_mask(col), big.null_mask(col))
    assert small.null_mask("name").tolist() == [False, True, True, False, True]


def test_take_keeps_derived_arrays_and_computes_nothing_again():
    avatars = np.empty(4, dtype=object)
    avatars[:] = ["00ff00ff00ff00ff", None, "ffffffffffffffff", "0123456789abcdef"]
    rec = Records.from_numpy({"avatar": avatars})
    rec.null_mask("avatar")
    whole = parsed(rec, "avatar", hex_parsed)
    sub = rec.take(np.array([3, 1]))
    assert sub.null_mask("avatar").tolist() == [False, True]

    def fail(rec, col):
        raise AssertionError("parsed again")

    fail.__name__ = hex_parsed.__name__  # the same cache key: must be found, not recomputed
    np.testing.assert_array_equal(parsed(sub, "avatar", fail), whole[[3, 1]])


def test_codes_of_many_strings_match_the_plain_loop():
    """The vectorised encoding (64 values or more) numbers values like the loop does: first appearance, '' and
    None missing, counts over both sides; values that are not strings go to the loop."""
    from qinglang.linkage import records as R

    rng = np.random.default_rng(3)
    pool = np.array(["张伟", "王芳", "", None, "li", "LI", float("nan")], dtype=object)
    left, right = pool[rng.integers(0, len(pool), 50)], pool[rng.integers(0, len(pool), 40)]
    codes, counts, vals = R._factorize_strings([left, right])
    seen: dict = {}
    for v in np.concatenate([left, right]):
        if isinstance(v, str) and v:
            seen.setdefault(v, len(seen))
    assert list(vals) == list(seen)
    want = [[seen.get(v, -1) if isinstance(v, str) else -1 for v in a] for a in (left, right)]
    assert [c.tolist() for c in codes] == want
    assert counts.tolist() == [float(sum(c.tolist().count(k) for c in codes)) for k in range(len(seen))]
    mixed = np.array(["a"] * 63 + [7], dtype=object)
    assert R._factorize_strings([mixed]) is None
