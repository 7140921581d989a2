"""The engine on the public person-record sets (skipped when ../shared/datasets is absent)."""

from __future__ import annotations

import pytest

from qinglang.evaluation.reincarnation import run_qinglang, summarise
from qinglang.linkage.datasets import DATASETS


@pytest.mark.parametrize("name,min_f1,min_blocking", [("febrl3", 0.99, 0.99), ("fake_1000", 0.75, 0.75)])
def test_linkage_set_accuracy_at_the_default_decision_point(shared_datasets, name, min_f1, min_blocking):
    table = DATASETS[name][0](shared_datasets / "linkage")
    s = summarise(run_qinglang(name, table))
    assert s["at_default"]["f1"] >= min_f1, s
    assert s["blocking_recall"] >= min_blocking, s
    assert s["at_default"]["precision"] >= 0.95, s
