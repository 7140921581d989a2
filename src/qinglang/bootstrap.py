"""The composition root: builds qinglang's parts from configuration.

Entry points (CLI, API, console) call `build()` and use the returned `App`;
nothing else constructs engines, stores or services.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from qinglang.config import Settings, load_settings
from qinglang.errors import QinglangError
from qinglang.lake.findings import FindingsFiles
from qinglang.workspace import Workspace


class App:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.workspace = Workspace(settings.home)

    @cached_property
    def findings(self) -> FindingsFiles:
        return FindingsFiles(self.workspace.findings_dir)

    def engine(self, name: str = "duckdb", **options: Any):
        """The batch engine over the current lake version (DuckDB default, or Spark)."""
        lake = self.workspace.require_lake()
        if name == "duckdb":
            from qinglang.engines.duckdb_engine import DuckDBEngine

            return DuckDBEngine(lake, self.settings, **options)
        if name == "spark":
            try:
                from qinglang.engines.spark_engine import SparkEngine
            except ModuleNotFoundError as e:
                raise QinglangError(f"the Spark engine is not available ({e}); install qinglang[spark]") from None
            return SparkEngine(lake, self.settings, **options)
        raise QinglangError(f"--engine must be duckdb or spark, not {name!r}")

    def detector_inputs(self) -> dict[str, Any]:
        """Inputs detectors need that live outside the lake (registries, banks, models)."""
        return {}

    def on_findings(self, detectors: list[str]) -> dict | None:
        """Turn fresh findings into cases (governance); returns a summary or None."""
        return None


def build(home: Path | str | None = None, db: str | None = None) -> App:
    return App(load_settings(home, db))
