"""`qinglang eval reincarnation` (and `train reincarnation`): accuracy of reincarnation detection.

(a) Simulator ground truth: simulate (or take a snapshot folder with truth/), ingest into a temporary
    workspace, run the reincarnation detector, and compare with truth/reincarnations.csv:
    precision/recall/F1 of the links at the decision point (match probability 0.5), recall by
    difficulty (shared identity / no shared identity / heavy name disguise), links to comebacks
    after the ban ended (reported, not as violations), decoys linked by kind, and false matches per
    10,000 innocent new accounts (accounts registered after the first ban that continue nobody).
(b) The person-record linkage sets under ../shared/datasets/linkage: qinglang's Fellegi–Sunter engine
    and Splink (DuckDB backend, its example models trained the usual way: u by random sampling, m by
    EM on its example blocking rules, prior from deterministic rules) on the same records in the same
    run, each at its own default decision point (qinglang 0.5, Splink 0.9), and both at their best
    threshold (upper bounds that look at the labels). Pairwise, over all true pairs (a pair the
    blocking missed counts as missed). Wall times run from the loaded records to the scored pairs,
    imports excluded for both tools.
"""

from __future__ import annotations

import csv
import json
import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from qinglang.errors import InputError, QinglangError

SPLINK_THRESHOLD = 0.9
LINKAGE_SETS = ("febrl3", "fake_1000", "historical_50k")


# --- (a) simulator ------------------------------------------------------------------------------
def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-12, p + r), 4),
            "tp": tp, "fp": fp, "fn": fn}


def score_links(links: dict[tuple[str, str], float], truth: list[dict[str, str]], decoys: list[dict[str, str]],
                innocent_new: int, comeback_ids: set[str], threshold: float = 0.5) -> dict[str, Any]:
    """Compare predicted links {(new, banned): match probability} with the simulator's truth."""
    pred = {k for k, p in links.items() if p >= threshold}
    true = {(t["new_account_id"], t["banned_account_id"]) for t in truth}
    tp = len(pred & true)
    res: dict[str, Any] = {"overall": _prf(tp, len(pred - true), len(true - pred))}
    by: dict[str, Any] = {}
    for d in ("shared_identity", "no_shared_identity", "heavy_disguise"):
        ks = {(t["new_account_id"], t["banned_account_id"]) for t in truth if t.get("difficulty") == d}
        by[d] = {"comebacks": len(ks), "recall": round(len(ks & pred) / max(1, len(ks)), 4)}
    no_id = {(t["new_account_id"], t["banned_account_id"]) for t in truth if t.get("difficulty") != "shared_identity"}
    by["no_identity_shared_all"] = {"comebacks": len(no_id), "recall": round(len(no_id & pred) / max(1, len(no_id)), 4)}
    res["by_difficulty"] = by
    for flag, name in (("1", "during_ban"), ("0", "after_ban_ended")):
        ks = {(t["new_account_id"], t["banned_account_id"]) for t in truth if str(t.get("during_ban")) == flag}
        res[name] = {"comebacks": len(ks), "recall": round(len(ks & pred) / max(1, len(ks)), 4)}
    false = [k for k in pred - true if k[0] not in comeback_ids]
    res["false_matches"] = {"innocent_new_accounts": innocent_new, "false_matches": len(false),
                            "per_10000": round(10_000 * len(false) / max(1, innocent_new), 3)}
    dec_by: dict[str, list[int]] = {}
    pred_new = {k[0] for k in pred}
    for d in decoys:
        c = dec_by.setdefault(d["decoy_kind"], [0, 0])
        c[0] += 1
        c[1] += d["account_id"] in pred_new
    res["decoys"] = {k: {"decoys": v[0], "linked": v[1]} for k, v in dec_by.items()}
    return res


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def evaluate_simulator(snapshot: Path | None = None, accounts: int = 100_000, seed: int = 11,
                       closed: int | None = None, progress=None) -> dict[str, Any]:
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan

    with tempfile.TemporaryDirectory(prefix="qinglang-eval-rein-") as tmp:
        tmp = Path(tmp)
        t_sim = 0.0
        if snapshot is None:
            from qinglang.sim import SimConfig, simulate

            snapshot = tmp / "snapshot"
            t0 = time.perf_counter()
            simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, closed=closed), progress=progress)
            t_sim = time.perf_counter() - t0
        truth_dir = Path(snapshot) / "truth"
        if not (truth_dir / "reincarnations.csv").exists():
            raise QinglangError(f"{truth_dir} has no reincarnations.csv: give a simulator snapshot")
        app = build(tmp / "ws")
        ingest(app.settings, Path(snapshot), progress=progress)
        t0 = time.perf_counter()
        rep = run_scan(app, only="reincarnation", progress=progress)
        t_scan = time.perf_counter() - t0
        f = app.findings.read(["reincarnation"])
        links: dict[tuple[str, str], float] = {}
        for s, r, ev in zip(f["subject_id"].to_pylist(), f["related_id"].to_pylist(), f["evidence"].to_pylist()):
            links[(s, r)] = float(json.loads(ev)["match_probability"])
        truth = _read_csv(truth_dir / "reincarnations.csv")
        decoys = _read_csv(truth_dir / "decoys.csv") if (truth_dir / "decoys.csv").exists() else []
        engine = app.engine()
        try:
            first_ban = engine.sql("SELECT min(decided_at) AS t FROM enforcements WHERE action IN ('close','suspend')")["t"][0].as_py()
            acc = engine.sql("SELECT account_id, created_at FROM accounts")
        finally:
            engine.close()
        comeback_ids = {t["new_account_id"] for t in truth}
        created = acc["created_at"].to_pylist()
        innocent = sum(1 for a, c in zip(acc["account_id"].to_pylist(), created)
                       if first_ban is not None and c is not None and c >= first_ban and a not in comeback_ids)
        res = score_links(links, truth, decoys, innocent, comeback_ids)
        res["decision_point"] = 0.5
        res["accounts"] = acc.num_rows
        res["seconds"] = {"simulate": round(t_sim, 1), "scan": round(t_scan, 1)}
        res["seed"] = seed
        res["scan"] = [r.__dict__ for r in rep.runs]
        # the naive baseline the simulator ships: exact nickname match
        res["baseline_exact_nickname"] = _exact_name_baseline(app, truth, comeback_ids, innocent)
        return res


def _exact_name_baseline(app, truth, comeback_ids, innocent) -> dict[str, Any]:
    engine = app.engine()
    try:
        t = engine.sql(
            "SELECT n.account_id AS new_id, b.account_id AS banned_id FROM accounts n JOIN accounts b "
            "ON n.nickname = b.nickname JOIN (SELECT account_id, max(decided_at) AS t FROM enforcements "
            "WHERE action IN ('close','suspend') GROUP BY account_id) e ON e.account_id = b.account_id "
            "WHERE n.created_at >= e.t AND n.account_id <> b.account_id")
    finally:
        engine.close()
    links = {(a, b): 1.0 for a, b in zip(t["new_id"].to_pylist(), t["banned_id"].to_pylist())}
    s = score_links(links, truth, [], innocent, comeback_ids)
    return {"overall": s["overall"], "false_matches": s["false_matches"]}


# --- (b) linkage sets -------------------------------------------------------------------------
def _pair_index(ids: list[str]) -> dict[str, int]:
    return {str(v): k for k, v in enumerate(ids)}


def run_qinglang(name: str, table: pa.Table, config: dict | None = None) -> dict[str, Any]:
    """Dedupe one labelled set with qinglang's engine; returns timings, metrics and predictions."""
    from qinglang.linkage import LinkageSettings, Linker, Records
    from qinglang.linkage.datasets import DATASETS
    from qinglang.linkage.evaluate import blocking_recall, pair_keys, true_pair_keys

    _warm_imports()
    t0 = time.perf_counter()
    cfg = config or DATASETS[name][1]
    rec = Records(table.drop_columns(["cluster"]))
    linker = Linker(LinkageSettings.from_dict(cfg), rec)
    cands = linker.block()
    linker.fit(cands)
    preds = linker.predict(cands, min_prob=0.0)
    wall = time.perf_counter() - t0
    n = rec.n
    truth = true_pair_keys(table["cluster"].to_numpy(zero_copy_only=False))
    return {"wall_s": wall, "keys": pair_keys(preds.i, preds.j, n), "prob": preds.prob, "truth": truth,
            "blocking_recall": blocking_recall(pair_keys(cands.i, cands.j, n), truth), "candidates": len(cands),
            "threshold": 0.5}


def _warm_imports() -> None:
    """Import what the timed part would otherwise import on first use (DuckDB's register imports pandas),
    so wall times exclude imports for both tools (`import splink` imports all of these at once)."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import rapidfuzz.process  # noqa: F401


def splink_settings(name: str):
    """Splink's example models for these sets (its documentation's tutorials), as published."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if name == "synthetic":
        # no published example for this set: the fake_1000 example's comparisons, and the keys qinglang blocks
        # on (the example's block_on("surname") alone would pair ~10^9 records of a million)
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[cl.NameComparison("first_name"), cl.JaroAtThresholds("surname"),
                         cl.DateOfBirthComparison("dob", input_is_string=True),
                         cl.ExactMatch("city").configure(term_frequency_adjustments=True), cl.EmailComparison("email")],
            blocking_rules_to_generate_predictions=[
                block_on("first_name", "surname", "substr(dob, 1, 4)"),
                block_on("surname", "dob"), block_on("first_name", "dob"), block_on("split_part(email, '@', 1)"),
                block_on("dob", "city")])
        training = {"prior": ([block_on("first_name", "surname", "dob")], 0.7), "u_pairs": 1e6,
                    "em": [block_on("first_name", "surname"), block_on("dob")]}
    elif name == "fake_1000":
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[cl.NameComparison("first_name"), cl.JaroAtThresholds("surname"),
                         cl.DateOfBirthComparison("dob", input_is_string=True),
                         cl.ExactMatch("city").configure(term_frequency_adjustments=True), cl.EmailComparison("email")],
            blocking_rules_to_generate_predictions=[block_on("first_name", "dob"), block_on("surname")])
        training = {"prior": ([block_on("first_name", "surname")], 0.7), "u_pairs": 1e6,
                    "em": [block_on("first_name", "surname"), block_on("email")]}
    elif name == "historical_50k":
        # Splink's example "Linking a dataset of real historical persons" (docs/demos/examples/duckdb)
        rules = [block_on("substr(first_name,1,3)", "substr(surname,1,4)"), block_on("surname", "dob"),
                 block_on("first_name", "dob"), block_on("postcode_fake", "first_name"),
                 block_on("postcode_fake", "surname"), block_on("dob", "birth_place"),
                 block_on("substr(postcode_fake,1,3)", "dob"), block_on("substr(postcode_fake,1,3)", "first_name"),
                 block_on("substr(postcode_fake,1,3)", "surname"),
                 block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)")]
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=rules,
            comparisons=[cl.ForenameSurnameComparison("first_name", "surname",
                                                      forename_surname_concat_col_name="first_name_surname_concat"),
                         cl.DateOfBirthComparison("dob", input_is_string=True),
                         cl.PostcodeComparison("postcode_fake"),
                         cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
                         cl.ExactMatch("occupation").configure(term_frequency_adjustments=True)])
        training = {"prior": ([block_on("first_name", "surname", "dob"),
                               block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
                               block_on("dob", "postcode_fake")], 0.6), "u_pairs": 1e7,
                    "em": [block_on("first_name", "surname"), block_on("dob")], "em_without_tf": True}
    elif name == "febrl3":
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[block_on("soc_sec_id"), block_on("given_name"),
                                                    block_on("surname"), block_on("date_of_birth"),
                                                    block_on("postcode")],
            comparisons=[cl.NameComparison("given_name"), cl.NameComparison("surname"),
                         cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                         cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                         cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                         cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)])
        training = {"prior": ([block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
                               "l.given_name = r.surname and l.surname = r.given_name "
                               "and l.date_of_birth = r.date_of_birth"], 0.9),
                    "u_pairs": 1e6, "u_seed": 2, "em": [block_on("date_of_birth"), block_on("postcode")]}
    else:
        raise QinglangError(f"no Splink model for {name!r}")
    return settings, training


def run_splink(name: str, table: pa.Table) -> dict[str, Any]:
    """Dedupe one labelled set with Splink (DuckDB backend) the usual way."""
    import pyarrow.compute as pc
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    from qinglang.linkage.evaluate import pair_keys, true_pair_keys

    logging.getLogger("splink").setLevel(logging.ERROR)
    _warm_imports()
    t0 = time.perf_counter()
    data = table.drop_columns(["cluster"])
    if name == "historical_50k":
        # as the example does: first_name || ' ' || surname (null when either is null)
        data = data.append_column("first_name_surname_concat", pc.binary_join_element_wise(
            data["first_name"], data["surname"], " "))
    settings, training = splink_settings(name)
    db = DuckDBAPI()
    linker = Linker(db.register(data), settings)
    rules, recall = training["prior"]
    linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    if "u_seed" in training:
        linker.training.estimate_u_using_random_sampling(max_pairs=training["u_pairs"], seed=training["u_seed"])
    else:
        linker.training.estimate_u_using_random_sampling(max_pairs=training["u_pairs"])
    for rule in training["em"]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=training.get("em_without_tf", False))
    pred = linker.inference.predict().as_pyarrow_table()
    wall = time.perf_counter() - t0
    idx = _pair_index(table["unique_id"].to_pylist())
    i = np.array([idx[str(v)] for v in pred["unique_id_l"].to_pylist()], dtype=np.int64)
    j = np.array([idx[str(v)] for v in pred["unique_id_r"].to_pylist()], dtype=np.int64)
    n = table.num_rows
    truth = true_pair_keys(table["cluster"].to_numpy(zero_copy_only=False))
    keys = pair_keys(i, j, n)
    return {"wall_s": wall, "keys": keys, "prob": pred["match_probability"].to_numpy(zero_copy_only=False),
            "truth": truth, "blocking_recall": float(np.isin(truth, keys).mean()) if len(truth) else 1.0,
            "candidates": int(pred.num_rows), "threshold": SPLINK_THRESHOLD}


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    from qinglang.linkage.evaluate import best_threshold, metrics_at

    at = metrics_at(run["keys"], run["prob"], run["truth"], run["threshold"])
    best = best_threshold(run["keys"], run["prob"], run["truth"])
    return {"wall_s": round(run["wall_s"], 2), "candidates": run["candidates"],
            "blocking_recall": round(run["blocking_recall"], 4), "at_default": at.as_dict(), "at_best": best.as_dict()}


def load_set(name: str, root: Path) -> pa.Table:
    from qinglang.linkage.datasets import DATASETS

    if name == "synthetic":
        raise QinglangError("the synthetic set is generated by benchmarks/linkage.py")
    return DATASETS[name][0](Path(root))


def evaluate_linkage(root: Path, splink: bool = True, sets=LINKAGE_SETS, progress=None) -> dict[str, Any]:
    root = Path(root) / "linkage" if (Path(root) / "linkage").is_dir() else Path(root)
    out: dict[str, Any] = {}
    for k, name in enumerate(sets):
        if progress:
            progress(f"linkage: {name}", k, len(sets))
        table = load_set(name, root)
        row = {"records": table.num_rows, "qinglang": summarise(run_qinglang(name, table))}
        if splink:
            try:
                row["splink"] = summarise(run_splink(name, table))
            except ModuleNotFoundError:
                row["splink"] = {"skipped": "splink is not installed (pip install qinglang[bench])"}
        out[name] = row
    return out


def evaluate(datasets: Path | None = None, simulator: bool = True, snapshot: Path | None = None,
             accounts: int = 100_000, seed: int = 11, closed: int | None = None, splink: bool = True,
             progress=None, linkage_skipped: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if simulator:
        res["simulator"] = evaluate_simulator(snapshot, accounts, seed, closed, progress)
    if datasets is not None:
        res["linkage_sets"] = evaluate_linkage(datasets, splink=splink, progress=progress)
    else:
        res["linkage_sets"] = {"skipped": linkage_skipped or "../shared/datasets is not present (give --datasets)"}
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return res


def render(res: dict[str, Any], console) -> None:
    from rich.table import Table

    sim = res.get("simulator")
    if sim:
        o = sim["overall"]
        console.print(f"[bold]Simulator 模拟平台[/] ({sim['accounts']:,} accounts, seed {sim['seed']}), "
                      f"decision point 0.5: precision {o['precision']}, recall {o['recall']}, F1 {o['f1']}")
        t = Table("difficulty 难度", "comebacks 转世", "recall 召回")
        for k, v in sim["by_difficulty"].items():
            t.add_row(k, str(v["comebacks"]), str(v["recall"]))
        for k in ("during_ban", "after_ban_ended"):
            t.add_row(k, str(sim[k]["comebacks"]), str(sim[k]["recall"]))
        console.print(t)
        fm = sim["false_matches"]
        console.print(f"False matches 误关联: {fm['false_matches']} among {fm['innocent_new_accounts']:,} innocent new "
                      f"accounts = {fm['per_10000']} per 10,000. Decoys 诱饵: "
                      + ", ".join(f"{k} {v['linked']}/{v['decoys']}" for k, v in sim["decoys"].items()))
        b = sim["baseline_exact_nickname"]["overall"]
        console.print(f"Baseline exact nickname 昵称完全相同基线: P {b['precision']} R {b['recall']} F1 {b['f1']}")
    ls = res.get("linkage_sets")
    if isinstance(ls, dict) and "skipped" not in ls:
        t = Table("set 数据集", "tool", "F1 @default", "P", "R", "F1 @best", "blocking recall", "wall s")
        for name, row in ls.items():
            for tool in ("qinglang", "splink"):
                r = row.get(tool)
                if not r or "skipped" in r:
                    continue
                d, b = r["at_default"], r["at_best"]
                t.add_row(name, f"{tool} ({d['threshold']})", str(d["f1"]), str(d["precision"]), str(d["recall"]),
                          f"{b['f1']} @{b['threshold']:.3g}", str(r["blocking_recall"]), str(r["wall_s"]))
        console.print(t)
    elif isinstance(ls, dict):
        console.print(f"Linkage sets: skipped ({ls['skipped']})")


# --- supervised calibration -------------------------------------------------------------------
def train(app, labels: Path, progress=None) -> dict[str, Any]:
    """m from confirmed reincarnations (labels CSV new_account_id,banned_account_id); saves the model."""
    import os
    import uuid

    from qinglang.detect.reincarnation.linking import link_accounts
    from qinglang.detect.reincarnation.load import read_tables

    rows = _read_labels(Path(labels))
    engine = app.engine()
    try:
        tables = read_tables(engine, app.detector_inputs().get("bans"), app.settings.section("reincarnation"))
    finally:
        engine.close()
    if tables is None:
        raise QinglangError("the workspace has no bans: nothing to train a reincarnation model on")
    res = link_accounts(tables, app.settings.section("reincarnation"), progress=progress)
    if res is None:
        raise QinglangError("the workspace has no bans naming known accounts")
    linker = res.linker
    new_pos = {str(a): k for k, a in enumerate(res.new_ids.tolist())}
    ban_pos = {a: k for k, a in enumerate(res.banned["account_id"].to_pylist())}
    pairs = [(new_pos.get(a), ban_pos.get(b)) for a, b in rows]
    pairs = [(i, j) for i, j in pairs if i is not None and j is not None]
    if not pairs:
        raise QinglangError(f"{labels}: no labelled pair names a new account and a banned account of this workspace")
    from qinglang.linkage.blocking import Candidates

    i = np.array([p[0] for p in pairs], np.int64)
    j = np.array([p[1] for p in pairs], np.int64)
    cands = Candidates(i, j, np.zeros(len(i), np.int16), [], linker.right.n)
    linker.fit_supervised(cands, np.ones(len(i), dtype=bool))
    # the prior: labelled comebacks are a sample; keep the EM estimate of how many there are
    linker.model.prior = res.linker.report.prior or linker.model.prior
    path = app.workspace.models_dir / "reincarnation" / "model.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".model.{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(linker.model.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    found = {(int(a), int(b)) for a, b in zip(res.predictions.i.tolist(), res.predictions.j.tolist())}
    return {"labelled": len(rows), "usable": len(pairs), "found_by_blocking": sum((a, b) in found for a, b in pairs),
            "path": str(path)}


def _read_labels(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        raise QinglangError(f"{path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"new_account_id", "banned_account_id"} <= set(reader.fieldnames):
            raise InputError(str(path), "the header must have new_account_id,banned_account_id")
        out = []
        for n, row in enumerate(reader, start=1):
            a, b = (row.get("new_account_id") or "").strip(), (row.get("banned_account_id") or "").strip()
            if not a:
                raise InputError(str(path), "empty new_account_id", row=n, column="new_account_id")
            if not b:
                raise InputError(str(path), "empty banned_account_id", row=n, column="banned_account_id")
            out.append((a, b))
    if not out:
        raise InputError(str(path), "no labelled pairs")
    return out
