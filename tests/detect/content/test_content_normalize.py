"""Every evasion step alone is undone, and every normalised character maps back to the original."""

from __future__ import annotations

import random

import pytest

from qinglang.detect.content.normalize import Normalizer, NormOptions


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer(stand_ins={"🐎": "马", "丨": ""}, recompose_targets="婊强")


@pytest.mark.parametrize(
    "evasion, plain",
    [
        ("ＳＢ", "sb"),  # full-width
        ("傻逼", "傻逼"),
        ("頭髮", "头发"),  # traditional -> simplified
        ("傻 逼", "傻逼"),  # space
        ("傻*逼", "傻逼"),  # inserted symbol
        ("傻\u200b逼", "傻逼"),  # zero-width space
        ("傻\ufeff逼", "傻逼"),  # zero-width no-break space
        ("傻🌟逼", "傻逼"),  # emoji as separator
        ("傻丨逼", "傻逼"),  # look-alike filler character from the stand-ins
        ("傻傻傻逼", "傻逼"),  # repeated characters
        ("你🐎", "你马"),  # emoji stand-in
        ("女表子", "婊子"),  # split character recomposed
        ("弓虽", "强"),
        ("ＡＢＣ１２３", "abc123"),
    ],
)
def test_each_evasion_step_is_undone(norm, evasion, plain):
    assert norm.normalize(evasion) == plain


def test_reduplication_of_two_is_kept(norm):
    # 妈妈, 小姐姐: ordinary Chinese, not an evasion
    assert norm.normalize("小姐姐和妈妈") == "小姐姐和妈妈"


def test_steps_can_be_switched_off():
    n = Normalizer(NormOptions(t2s=False, collapse_repeats=False))
    assert n.normalize("頭髮") == "頭髮"
    assert n.normalize("傻傻傻逼") == "傻傻傻逼"
    assert Normalizer(NormOptions(strip=False)).normalize("傻 逼") == "傻 逼"


def test_spans_map_back_to_the_original(norm):
    texts = ["前面 ＳＢ傻*逼 后面", "傻傻傻逼!", "女表子", "⑩号 頭髮"]
    nb = norm.batch(texts)
    for i, t in enumerate(texts):
        n = nb.normalized(i)
        base = nb.raw_offsets[i]
        off = nb.norm_offsets[i]
        for j in range(len(n)):
            s = nb.src_start[off + j] - base
            e = nb.src_end[off + j] - base
            assert 0 <= s < e <= len(t)
            # the original characters the normalised char stands for normalise to (contain) it
            assert n[j] in norm.normalize(t[s:e]) or norm.normalize(t[s:e]) == ""


def test_batch_equals_one_by_one(norm):
    rng = random.Random(5)
    alphabet = "傻逼你好頭髮ＳＢ *\u200b🐎女表子弓虽。，!ab12⑩"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(200)]
    nb = norm.batch(texts)
    for i, t in enumerate(texts):
        assert nb.normalized(i) == norm.normalize(t)


@pytest.mark.parametrize("text", ["", "\x00\x00", "a" * 1_000_000, "\udcff\udc80 bad surrogates",
                                  bytes(range(256)).decode("latin-1"), "🐎" * 1000])
def test_odd_inputs_do_not_crash(norm, text):
    nb = norm.batch([text, "正常文本"])
    assert nb.normalized(1) == "正常文本"
    norm.pinyin(nb)


def test_pinyin_channel_spells_characters(norm):
    nb = norm.batch(["傻逼", "shabi"])
    py, src, starts = norm.pinyin(nb)
    assert py.split("\x00")[:2] == ["shabi", "shabi"]
