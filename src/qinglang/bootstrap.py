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

    # --- governance (issue 6): SQL store, case policy, services' context ---------------
    @cached_property
    def store(self):
        """The SQL store: settings.db_url (--db, QINGLANG_DB, [store] url) or <home>/store.sqlite."""
        from qinglang.services.governance import checkpoint_path
        from qinglang.store import open_store

        url = self.settings.db_url or str(self.workspace.sqlite_path)
        audit_cfg = self.settings.section("audit")
        every = audit_cfg.get("checkpoint_to_outbox_every")
        return open_store(url, checkpoint_path=checkpoint_path(self.workspace.home, self.settings.db_url),
                          outbox_checkpoint_every=int(every) if every else None)

    @cached_property
    def governance(self):
        """Context of the governance services: store, case policy, a read-only view of the lake."""
        from qinglang.services.governance import Governance, load_case_policy
        from qinglang.services.lakeview import WorkspaceLake

        return Governance(store=self.store, policy=load_case_policy(self.workspace.home),
                          lake=WorkspaceLake(self), workspace_dir=self.workspace.home)

    def detector_inputs(self) -> dict[str, Any]:
        """Inputs detectors need that live outside the lake (registries, banks, models).

        `bans`: qinglang's own sanctions (account_id, action, category, decided_at, until) in the
        shape of the lake's enforcements table, so the reincarnation registry includes them.
        """
        from qinglang.services.enforcement import bans_table

        return {"bans": bans_table(self.governance)}

    def on_findings(self, detectors: list[str]) -> dict | None:
        """Turn fresh findings (and the snapshot's reports) into cases by the case policy; returns a summary."""
        from qinglang.services.complaints import import_reports
        from qinglang.services.enforcement import expire_sanctions
        from qinglang.services.intake import apply_findings

        gov = self.governance
        summary = apply_findings(gov, self.findings.read(detectors))
        summary.update(import_reports(gov, gov.lake.reports()))
        summary["sanctions_ended"] = expire_sanctions(gov)["ended"]  # the timed job also runs with every scan
        return summary


def build(home: Path | str | None = None, db: str | None = None) -> App:
    return App(load_settings(home, db))
