"""Same seed, same bytes; another seed, another platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from qinglang.sim import SimConfig, simulate


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_same_seed_gives_identical_files(tmp_path, fmt):
    a, b = tmp_path / "a", tmp_path / "b"
    sa = simulate(SimConfig(out=a, accounts=2500, seed=42, fmt=fmt, follow_order="both"))
    sb = simulate(SimConfig(out=b, accounts=2500, seed=42, fmt=fmt, follow_order="both"))
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    assert "truth/fake_accounts.csv" in fa
    for name in fa:
        assert fa[name] == fb[name], name
    assert sa.tables == sb.tables and sa.truth == sb.truth


def test_other_seed_differs(tmp_path):
    simulate(SimConfig(out=tmp_path / "a", accounts=1500, seed=1))
    simulate(SimConfig(out=tmp_path / "b", accounts=1500, seed=2))
    assert (tmp_path / "a" / "accounts.parquet").read_bytes() != (tmp_path / "b" / "accounts.parquet").read_bytes()
