"""Findings files: one Parquet file per detector under <home>/findings/.

A scan replaces the findings of the detectors it ran, each with an atomic
file rename, so an interrupted scan leaves every detector's findings either
old or new. The export is the contract's CSV (docs/data-contract.md).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qinglang.domain.findings import EXPORT_COLUMNS, FINDINGS_SCHEMA, MIN_EXPORT_SCORE, conform


class FindingsFiles:
    def __init__(self, root: Path):
        self.root = root

    def path(self, detector: str) -> Path:
        return self.root / f"{detector}.parquet"

    def detectors(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.stem for p in self.root.glob("*.parquet"))

    def replace(self, detector: str, table: pa.Table) -> int:
        """Replace one detector's findings; returns the number of rows kept."""
        table = conform(table)
        table = table.filter(pc.greater_equal(table["score"], MIN_EXPORT_SCORE))
        if table.num_rows:
            table = table.sort_by([("kind", "ascending"), ("subject_id", "ascending"),
                                   ("related_id", "ascending"), ("category", "ascending")])
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{detector}-{uuid.uuid4().hex[:8]}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path(detector))
        return table.num_rows

    def read(self, detectors: list[str] | None = None) -> pa.Table:
        names = detectors if detectors is not None else self.detectors()
        parts = [pq.read_table(self.path(d)) for d in names if self.path(d).exists()]
        if not parts:
            return FINDINGS_SCHEMA.empty_table()
        return pa.concat_tables([p.cast(FINDINGS_SCHEMA) for p in parts])

    def export_csv(self, out: Path) -> int:
        """Write the findings export (contract column order, then extras); returns rows written."""
        table = self.read()
        if table.num_rows:
            table = table.sort_by([("kind", "ascending"), ("subject_id", "ascending"),
                                   ("related_id", "ascending"), ("category", "ascending")])
        extras = [c for c in table.column_names if c not in EXPORT_COLUMNS]
        table = table.select(EXPORT_COLUMNS + extras)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        os.replace(tmp, out)
        return table.num_rows
