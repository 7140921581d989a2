"""Evasions beyond single characters: initials and pinyin written run together, contact words glued to
their IDs, a mockery one clause after the hero's name; and what must not match because of them."""

from __future__ import annotations

import pytest

from qinglang.detect.content.pack import load_default_pack, parse_pack
from qinglang.detect.content.screener import Screener


@pytest.fixture(scope="module")
def sc() -> Screener:
    return Screener(load_default_pack())


def score(sc, text, cat):
    return sc.screen([text])[0].categories.get(cat, 0.0)


@pytest.mark.parametrize("text", [
    "江姐？不过是个bgjr罢了",  # 工具人 as initials inside a run of initials without vowels
    "邱少云是被神huadepu通人",  # 被神化 spelled in pinyin running into the next syllables
    "刘胡兰？不过是个笑话",  # name and mockery one clause apart (a rhetorical question)
    "天天吹邱少云，有完没完，编出来的而已",  # two clauses apart
])
def test_mockery_of_a_named_hero_is_found_through_evasions(sc, text):
    assert score(sc, text, "heroes_martyrs") >= 0.5, text


@pytest.mark.parametrize("text", [
    "我们学习了邱少云的事迹。晚上吃烧烤",  # another sentence
    "有人说黄继光的事迹是编出来的？史料记载得清清楚楚，别再传谣言了",  # rebutting the insult
    "真的假的？//@王薇:明天放假",  # a two-character name is matched as written only (王薇 is not 王伟)
    "缅怀邱少云烈士，他没有动，直到牺牲",
])
def test_defence_commemoration_and_sound_alikes_of_short_names_do_not_count(sc, text):
    assert score(sc, text, "heroes_martyrs") < 0.5, text


def test_initials_inside_acronyms_and_words_do_not_match(sc):
    for text in ("我在NBA看了HTML和CSS", "KTV和PPT还有CCTV的GDP数据", "asbestos is dangerous",
                 "简历请发邮箱 hr@xingchen.cn", "大连明天起全面FengCheng"):
        r = sc.screen([text])[0]
        assert not any(v >= 0.5 for v in r.categories.values()), (text, r.categories)


@pytest.mark.parametrize("text", ["详情加微芯abc12345", "想要的加weixinzrhu2zhi", "联系微xinzrhuzhi", "加威信：qwe_12345",
                                  "长按复制chaodijiaweixinvx4zqz2ugpc"])
def test_contact_word_in_any_disguise_followed_by_an_id(sc, text):
    assert score(sc, text, "vulgar_marketing") >= 0.5, text


@pytest.mark.parametrize("text", ["我用wxpython写的程序", "微信支付很方便", "我的微信运动今天一万步",
                                  "他的qq空间很好看，还有很多照片"])
def test_ordinary_mentions_of_apps_are_not_contacts(sc, text):
    assert score(sc, text, "vulgar_marketing") < 0.5, text


def test_spans_of_combos_and_runs_map_back_to_the_original(sc):
    for text in ("江姐？不过是个bgjr罢了", "详情加微芯abc12345", "邱少云是被神huadepu通人"):
        r = sc.screen([text])[0]
        assert r.spans
        for s in r.spans:
            assert text[s["start"]:s["end"]] == s["matched"]


def test_four_letter_initials_count_like_the_term_two_letters_much_less(sc):
    assert score(sc, "教你yyht这样签", "illegal_conduct") >= 0.5  # 阴阳合同
    assert score(sc, "教你阴阳合同这样签", "illegal_conduct") >= 0.5
    assert 0 < score(sc, "你这个fw", "abuse") < 0.5  # 废物: two letters are weak evidence


def test_adjacent_combo_and_reach_are_validated(tmp_path):
    base = """qinglang_policy: 1
name: t
version: "1"
categories:
  vulgar_marketing:
    lists:
      contact: [微信]
    patterns:
      - {name: handle, regex: '[a-z][a-z0-9]{5,19}', role: modifier}
    combos:
      - {name: c, anchors: contact, modifiers: handle, scope: %s}
"""
    pack = parse_pack(base % "adjacent, gap: 1")
    sc = Screener(pack)
    assert sc.screen(["微信abc12345"])[0].categories.get("vulgar_marketing", 0) > 0
    assert sc.screen(["微信是什么abc12345"])[0].categories.get("vulgar_marketing", 0) == 0  # too far
    from qinglang.detect.content.yamlines import PackError

    with pytest.raises(PackError, match="line 11.*reach needs scope clause"):
        parse_pack(base % "adjacent, reach: 1")
    with pytest.raises(PackError, match="gap must be an integer"):
        parse_pack(base % "adjacent, gap: 50")
    with pytest.raises(PackError, match="has role modifier, not anchor"):
        parse_pack(base.replace("anchors: contact, modifiers: handle", "anchors: handle, modifiers: contact") % "post")


def test_a_pattern_never_matches_across_two_posts():
    pack = parse_pack("""qinglang_policy: 1
name: t
version: "1"
categories:
  vulgar_marketing:
    patterns:
      - {name: p, regex: '加.{0,3}微', weight: 0.9}
""")
    sc = Screener(pack)
    texts = ["你好，加"] + ["微笑"] * 40 + ["加个微"]  # many candidate posts: searched as one batch
    res = sc.screen(texts)
    assert all("vulgar_marketing" not in r.categories for r in res[:-1])
    assert res[-1].categories.get("vulgar_marketing", 0) >= 0.5


@pytest.mark.parametrize("text", [
    "减肥药领取试用装，嫁Vwx3numtniur",  # 加v heard in 嫁V, running into the ID
    "代购正品，V薪vwse8ss，朋友圈看货",  # v信 heard in V薪
    "详情jwxbj6qyi4n",  # initials of 加微信 running into the ID
    "领取试用装jVz9mwk8",  # 加v as jv before an ID with a digit
])
def test_contact_words_in_disguise_before_an_id(sc, text):
    assert score(sc, text, "vulgar_marketing") >= 0.5, text


@pytest.mark.parametrize("text", [
    "大家v我50，疯狂星期四",  # a meme: 家v sounds like 加v, but a contact word alone never counts by sound
    "jvm8参数调优",  # jv before a token is a contact prefix only with an ID after it, not jvm
])
def test_sound_alikes_of_contact_words_without_an_id_do_not_count(sc, text):
    assert score(sc, text, "vulgar_marketing") < 0.3, text


def test_a_contact_word_written_as_it_is_counts_once(sc):
    r = sc.screen(["加Vabc12345"])[0].as_dict()
    contact = [s for s in r["spans"] if s["term"] == "contact"]
    assert len(contact) == 1 and contact[0]["channel"] == "text"
