"""Synthetic follow graphs for the dense-block benchmarks (fixed seed, no data downloaded).

Followee popularity is Zipf (rank + 4)^-1; follower activity has a milder heavy tail
(rank + 50)^-0.5; one planted block of 200 fake followers x 100 mid-popular targets,
each fake also following 100 popular accounts drawn by popularity (biased camouflage,
FRAUDAR's hardest case). Duplicated pairs are possible and are collapsed by both peers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PLANT_ROWS, PLANT_COLS, CAMO = 200, 100, 100


def _sampler(rng: np.random.Generator, n: int, offset: float, alpha: float):
    p = (np.arange(n, dtype=np.float64) + offset) ** -alpha
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    perm = rng.permutation(n).astype(np.int32)  # popularity rank -> id, so ids carry no order

    def draw(size: int) -> np.ndarray:
        return perm[np.searchsorted(cdf, rng.random(size), side="right").clip(0, n - 1)]

    return draw, perm


def generate(out: Path, edges: int, seed: int = 42, chunk: int = 5_000_000) -> dict:
    """Write `out` (Parquet, int32 columns src, dst); returns the planted block's rows/cols."""
    rng = np.random.default_rng(seed)
    n_rows = max(1000, edges // 10)
    n_cols = max(1000, edges // 10)
    draw_row, _ = _sampler(rng, n_rows, 50.0, 0.5)
    draw_col, col_perm = _sampler(rng, n_cols, 4.0, 1.0)
    fakes = rng.choice(n_rows, PLANT_ROWS, replace=False).astype(np.int32)
    lo, hi = n_cols // 200, n_cols // 20  # mid-popular targets
    targets = col_perm[rng.choice(np.arange(lo, hi), PLANT_COLS, replace=False)]
    organic = edges - PLANT_ROWS * (PLANT_COLS + CAMO)
    schema = pa.schema([("src", pa.int32()), ("dst", pa.int32())])
    with pq.ParquetWriter(out, schema, compression="zstd") as w:
        done = 0
        while done < organic:
            n = min(chunk, organic - done)
            w.write_table(pa.table({"src": draw_row(n), "dst": draw_col(n)}, schema=schema))
            done += n
        ps = np.repeat(fakes, PLANT_COLS)
        pd = np.tile(targets, PLANT_ROWS)
        cs = np.repeat(fakes, CAMO)
        cd = draw_col(PLANT_ROWS * CAMO)
        w.write_table(pa.table({"src": np.concatenate([ps, cs]), "dst": np.concatenate([pd, cd])}, schema=schema))
    return {"rows": np.sort(fakes), "cols": np.sort(targets), "n_rows": n_rows, "n_cols": n_cols}
