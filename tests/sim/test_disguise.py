"""Each evasion trick changes the text the way it claims to, and can be undone in principle."""

from __future__ import annotations

import numpy as np
import pytest
from pypinyin import lazy_pinyin

from qinglang.sim import disguise as D


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_homophone_keeps_the_sound(rng):
    for word in ["微信", "傻逼", "色情", "林书瑶", "刘芳"]:
        out = D.homophone(word, rng)
        assert out is not None and out != word and len(out) == len(word)
        assert lazy_pinyin(out) == lazy_pinyin(word)


def test_similar_shape_swaps_one_character(rng):
    out = D.similar_shape("王大明", rng)
    assert out is not None and out != "王大明" and len(out) == 3
    assert sum(a != b for a, b in zip(out, "王大明")) == 1
    assert D.similar_shape("abc", rng) is None


def test_pinyin_and_initials(rng):
    out = D.pinyin("微信", rng)
    assert out.lower().replace("微", "").replace("信", "") in {"weixin", "wei", "xin"}
    assert D.initials("不转不是中国人", np.random.default_rng(1)).lower().endswith("zbszgr")


def test_traditional(rng):
    assert D.traditional("发布谣言") == "發佈謠言"
    assert D.traditional("abc") is None


def test_insertions(rng):
    assert D.zero_width("微信", rng) in {"微" + z + "信" for z in D.ZERO_WIDTH}
    sep = D.separators("约炮", rng)
    assert sep[0] == "约" and sep[-1] == "炮" and len(sep) > 2
    with_emoji = D.insert_emoji("小明", rng)
    assert any(e in with_emoji for e in D.EMOJI)
    digits = D.insert_digits("小明", rng)
    assert any(c.isdigit() for c in digits) and "小" in digits
    assert D.insert_symbols("小明", rng) != "小明"


def test_split_standins_fullwidth_decorative(rng):
    assert D.split_chars("婊子") == "女表子"
    assert D.split_chars("abc") is None
    assert D.standins("你妈", rng) in {"你🐴", "你ma", "你M", "n妈", "尼妈"}
    assert D.full_width("wx123", rng) == "ｗｘ１２３"
    assert D.full_width("微信", rng) is None
    dec = D.decorate("林书瑶", rng)
    assert "林书瑶" in dec and dec != "林书瑶"


def test_apply_name_tricks_reports_what_it_used(rng):
    for tricks in (["homophone"], ["full_width"], ["similar_shape", "emoji"], ["pinyin", "decorative"]):
        name, used = D.apply_name_tricks("刘山", list(tricks), rng)
        assert name != "刘山" and used
        assert set(used) <= set(D.NAME_TRICKS)
    name, used = D.apply_name_tricks("刘山", [], rng)
    assert name == "刘山" and used == []
