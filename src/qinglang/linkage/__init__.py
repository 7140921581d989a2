"""A generic Fellegi–Sunter record-linkage engine.

Comparisons (with their levels) and blocking rules are configuration
(`LinkageSettings.from_dict`); m is estimated by EM, u from random pairs, with
term-frequency adjustment for common values. Account linking (reincarnation
detection) is one configuration of it; the person records of the shared linkage
sets are another.

    from qinglang.linkage import LinkageSettings, Records, link
    preds, linker = link(settings_dict, arrow_table)          # dedupe
    preds, linker = link(settings_dict, left_table, right_table)  # link
"""

from qinglang.linkage.blocking import Candidates, block
from qinglang.linkage.linker import Linker, Predictions, link
from qinglang.linkage.model import FSModel
from qinglang.linkage.records import Records
from qinglang.linkage.settings import BlockingRule, Comparison, Level, LinkageSettings

__all__ = ["BlockingRule", "Candidates", "Comparison", "FSModel", "Level", "LinkageSettings", "Linker",
           "Predictions", "Records", "block", "link"]
