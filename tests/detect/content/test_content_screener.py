"""Screening with the default pack: matches, allow-lists, contexts, tiers, pinyin selectivity, spans."""

from __future__ import annotations

import pytest

from qinglang.detect.content.pack import load_default_pack
from qinglang.detect.content.screener import Screener


@pytest.fixture(scope="module")
def sc() -> Screener:
    return Screener(load_default_pack())


def one(sc, text, tier=None):
    return sc.screen([text], tier=tier)[0]


def test_every_span_maps_back_to_the_original_text(sc):
    texts = ["你就是个傻*逼", "ＳＢ一个", "你这个女表子", "邱 少 云被烤熟了，活该", "專業代開發票", "加我vx abc12345"]
    for r, t in zip(sc.screen(texts), texts):
        assert r.spans, t
        for s in r.spans:
            assert t[s["start"]:s["end"]] == s["matched"]


@pytest.mark.parametrize("evasion", ["你就是个傻逼", "你就是个傻 逼", "你就是個傻逼", "你就是个傻\u200b逼", "你就是个傻傻傻逼",
                                     "你就是个沙比", "你就是个shabi", "你就是个ｓｈａｂｉ", "你就是个傻b"])
def test_disguised_insult_is_found(sc, evasion):
    assert one(sc, evasion).categories.get("abuse", 0) >= 0.5


def test_allow_listed_phrase_does_not_count(sc):
    assert "abuse" not in one(sc, "他妈妈的手艺真好").categories
    assert "abuse" not in one(sc, "固体废物要分类处理").categories
    assert one(sc, "这个废物").categories.get("abuse", 0) > 0


def test_news_and_debunk_contexts_lower_the_score(sc):
    plain = one(sc, "专业代开发票，联系我").categories["illegal_conduct"]
    news = one(sc, "警方通报：三人因代开发票被刑拘").categories.get("illegal_conduct", 0)
    assert news < plain * 0.6
    rumor = one(sc, "紧急扩散！明天起全面封城，不转不是中国人").categories["rumor"]
    debunk = one(sc, "辟谣：网传“明天起全面封城，不转不是中国人”系谣言").categories.get("rumor", 0)
    assert debunk < rumor * 0.5


def test_heroes_need_a_named_person_and_mockery_in_one_clause(sc):
    assert one(sc, "邱少云被烤熟了，活该").categories.get("heroes_martyrs", 0) >= 0.5
    assert "heroes_martyrs" not in one(sc, "邱少云是英雄").categories  # a name alone
    assert "heroes_martyrs" not in one(sc, "今天吃烤肉，活该我胖").categories  # mockery alone
    # name and mockery in different clauses
    assert "heroes_martyrs" not in one(sc, "我们学习了邱少云的事迹。晚上吃烧烤").categories
    # commemoration lowers
    assert one(sc, "缅怀邱少云烈士，有人说他活该，这种人可耻").categories.get("heroes_martyrs", 0) < 0.5
    # the gazetteer's pinyin and initials
    assert one(sc, "qiushaoyun被烤熟了活该").categories.get("heroes_martyrs", 0) >= 0.5


def test_head_accounts_are_held_to_a_stricter_standard(sc):
    text = "邱少云被烤熟了，活该"
    assert one(sc, text, "head").decision == "block"
    assert one(sc, text, "regular").decision == "review"
    assert one(sc, "今天天气不错", "head").decision == "pass"


@pytest.mark.parametrize("text", ["其实就是这样", "就是说其实我也不知道", "这个骑士很厉害", "我们就是朋友",
                                  "今天天气很好我们去公园散步吧", "这是一款女表，很好看"])
def test_pinyin_channel_stays_quiet_on_ordinary_posts(sc, text):
    r = one(sc, text)
    assert not [s for s in r.spans if s["channel"] == "pinyin"], r.spans
    assert r.decision == "pass"


def test_latin_terms_need_a_token_boundary(sc):
    assert "abuse" not in one(sc, "asbestos is dangerous").categories
    assert "abuse" in one(sc, "你 sb 吧").categories


@pytest.mark.parametrize("text", ["", " ", "\x00", "a" * 1_000_000, "傻逼" * 200_000,
                                  bytes(range(256)).decode("latin-1"), "\udcff\ud800", "🐎" * 5000])
def test_empty_huge_and_garbage_texts_are_handled(sc, text):
    r = sc.screen([text, "你就是个傻逼"])
    assert r[0].decision in ("pass", "review", "block")
    assert r[1].categories.get("abuse", 0) >= 0.5


def test_result_shape(sc):
    r = one(sc, "你就是个傻逼").as_dict()
    assert set(r) >= {"index", "decision", "categories", "spans", "normalized", "tier"}
    assert r["spans"][0].keys() >= {"start", "end", "category", "matched", "term"}
    assert 0 <= r["categories"]["abuse"] <= 1
