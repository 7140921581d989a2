"""The reincarnation detectors a scan runs: `reincarnation` and `watchlist_match`.

- reincarnation: links accounts registered after a ban to the banned (closed or suspended)
  account they continue. Banned accounts come from the lake's `enforcements` plus qinglang's own
  sanctions (`ctx.extra["bans"]`, filled by governance). Options: `[reincarnation]` in qinglang.toml.
- watchlist_match: links accounts to the entries of the workspace's watch list
  (`qinglang watchlist add FILE`, stored in <home>/reincarnation/watchlist.parquet).
"""

from __future__ import annotations

import pyarrow as pa

from qinglang.detect.base import DetectContext, Detector
from qinglang.detect.reincarnation import config as C
from qinglang.domain.findings import empty_findings

WATCHLIST_FILE = ("reincarnation", "watchlist.parquet")


def _opts(ctx: DetectContext) -> dict:
    return C.options(ctx.settings.section("reincarnation"))


def trained_model(ctx: DetectContext):
    """The model `qinglang train reincarnation` saved, if any (else the scan fits one by EM)."""
    import json

    from qinglang.linkage.model import FSModel
    from qinglang.linkage.settings import LinkageSettings

    path = ctx.workspace.models_dir / "reincarnation" / "model.json"
    if not path.exists():
        return None
    model = FSModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    settings = LinkageSettings.from_dict(C.settings_dict(ctx.settings.section("reincarnation")))
    return model if model.compatible(settings) else None


def run_reincarnation(ctx: DetectContext) -> pa.Table:
    from qinglang.detect.reincarnation.engine_linking import link_on_engine
    from qinglang.detect.reincarnation.evidence import findings_from_links

    model = trained_model(ctx)
    res, accounts = link_on_engine(ctx.engine, ctx.extra.get("bans"), ctx.settings.section("reincarnation"),
                                   model=model, fit=model is None, progress=ctx.progress)
    ctx.extra["reincarnation.stats"] = res.stats if res is not None else None
    return findings_from_links(res, accounts, _opts(ctx))


def run_watchlist(ctx: DetectContext) -> pa.Table:
    from qinglang.detect.reincarnation.features import profile_columns
    from qinglang.services.watchlist import read_entries

    entries = read_entries(ctx.workspace.path(*WATCHLIST_FILE))
    if entries is None or entries.num_rows == 0:
        return empty_findings()
    from qinglang.detect.reincarnation.watchlist import match_watchlist

    accounts = ctx.engine.sql("SELECT account_id, nickname FROM accounts ORDER BY account_id")
    prof = pa.table(profile_columns(accounts["nickname"].to_pylist()))
    prof = prof.append_column("nickname", accounts["nickname"])
    identities = ctx.engine.sql("SELECT account_id, kind, value FROM identities") \
        if "identities" in ctx.engine.tables() else None
    return match_watchlist(accounts["account_id"], prof, entries, identities)


DETECTORS = [
    Detector("reincarnation", "reincarnation", run_reincarnation, needs=("accounts",)),
    Detector("watchlist_match", "reincarnation", run_watchlist, needs=("accounts",)),
]
