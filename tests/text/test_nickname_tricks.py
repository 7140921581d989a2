"""Each evasion trick of the regulators' list, alone, still meets the original name on a key."""

from __future__ import annotations

import pytest

from qinglang.text.nickname import nickname_keys, shape_equal
from qinglang.text.pinyin import fuzzy, pinyin_table, segment_latin
from qinglang.text.shapes import shape_table

ORIGINAL = "王小明"


def meets(a: str, b: str) -> set[str]:
    """The keys on which two nicknames agree."""
    ka, kb = nickname_keys(a), nickname_keys(b)
    hits = set()
    for k in ("clean", "base", "core", "fuzzy"):
        if getattr(ka, k) and getattr(ka, k) == getattr(kb, k):
            hits.add(k)
    pa = {ka.pinyin, ka.pinyin_hanzi} - {None, ""}
    pb = {kb.pinyin, kb.pinyin_hanzi} - {None, ""}
    if pa & pb:
        hits.add("pinyin")
    return hits


@pytest.mark.parametrize("trick,variant,key", [
    ("homophone 同音字", "汪晓铭", "pinyin"),
    ("near-homophone 近音字 (zh/z, -ing/-in)", "王小民", "fuzzy"),
    ("rare look-alike character 形近字", "王小眀", "core"),
    ("pinyin spelled out 拼音", "wangxiaoming", "pinyin"),
    ("pinyin with spaces and capitals", "Wang Xiao Ming", "pinyin"),
    ("part in pinyin", "王xiaoming", "pinyin"),
    ("inserted digits 插入数字", "王1小2明", "core"),
    ("trailing digits", "王小明666", "core"),
    ("inserted symbols 插入符号", "王.小·明", "clean"),
    ("decorative symbols around", "★王小明★", "clean"),
    ("emoji 表情", "王小明🌸", "clean"),
    ("inserted letter", "王a小明", "core"),
    ("full-width forms 全角", "ＷＡＮＧ小明", "pinyin"),
    ("decorative suffix 官方", "王小明官方", "core"),
    ("decorative suffix 2.0", "王小明2.0", "core"),
    ("decorative suffix 小号", "王小明的小号", "core"),
    ("decorative suffix 工作室", "王小明工作室", "core"),
    ("decorative suffix official", "王小明_official", "core"),
    ("decorative prefix 备用", "备用王小明", "core"),
    ("decorative prefix 真·", "真·王小明", "core"),
    ("zero-width characters", "王\u200b小\u200b明", "clean"),
])
def test_each_trick_alone_is_caught(trick, variant, key):
    assert key in meets(ORIGINAL, variant), f"{trick}: {variant!r} should meet {ORIGINAL!r} on {key}"


def test_traditional_characters():
    assert "core" in meets("刘德华", "劉德華")
    assert "core" in meets("晚风的浮生", "晚風的浮生")


def test_initials_spelled_out():
    k = nickname_keys("WXM")
    assert k.base == "wxm" and nickname_keys(ORIGINAL).initials == "wxm"


def test_common_character_swapped_for_its_twin_is_a_shape_twin():
    # 己/已, 未/末, 王/玉: both common, so no folding; the comparison sees them as look-alikes
    assert shape_equal("李己", "李已")
    assert shape_equal("未来之星", "末来之星")
    assert shape_equal("王小明", "玉小明")
    assert not shape_equal("王小明", "李小明")  # 王/李 do not look alike
    assert not shape_equal("王小明", "王小明明")  # other length


def test_fan_club_names_are_flagged_not_stripped():
    for name in ("王小明后援会", "王小明粉丝团", "王小明超话", "王小明全球后援会", "Yuki江粉丝团"):
        k = nickname_keys(name)
        assert k.fan_marker, name
        assert k.core != nickname_keys(name.replace("后援会", "").replace("粉丝团", "").replace("超话", "")
                                       .replace("全球", "")).core, name
    assert not nickname_keys(ORIGINAL).fan_marker
    assert not nickname_keys("王小明官方").fan_marker


def test_long_numbers_identify_and_stay():
    # the platform's default handle 用户 + 10 digits: the digits are the identity
    a, b = nickname_keys("用户3617037667"), nickname_keys("用户3617037668")
    assert a.core != b.core
    assert nickname_keys("YongHu3617037667").pinyin == a.pinyin


def test_names_never_vanish():
    for name in ("小号", "官方", "2.0", "🌸🌸", "·"):
        k = nickname_keys(name)
        assert k.clean is not None and isinstance(k.base, str)


def test_pinyin_table_and_segmentation():
    t = pinyin_table()
    assert t.of_text("王小明") == ["wang", "xiao", "ming"]
    assert t.get("绿") == "lv"
    assert "xing" in t.readings("行") and "hang" in t.readings("行")
    assert segment_latin("xiaoming") == ("xiao", "ming")
    assert segment_latin("wxm") == ("w", "x", "m")
    assert segment_latin("xian") == ("xian",)
    assert fuzzy("zhang") == fuzzy("zan") and fuzzy("ling") == fuzzy("nin")


def test_shape_table_is_derived_from_decompositions():
    st = shape_table()
    assert st.similarity("明", "眀") >= 0.8  # 日/目 swapped
    assert st.similarity("王", "玉") >= 0.9  # one stroke added
    assert st.similarity("己", "已") == 1.0  # same components
    assert st.similarity("王", "李") == 0.0
    assert st.canonical("眀") == "明"  # a rare look-alike folds onto the common character
    assert st.canonical("明") == "明" and st.canonical("朋") == "朋"  # common characters keep themselves
    assert ("明", 0.8) in st.similar("眀")


def test_kept_key_strips_decorations_but_keeps_the_names_own_digits():
    # a decorated comeback of 夏至442 meets it on `kept`; the many plain 夏至 share only the folded core
    assert nickname_keys("【夏至442】官方").kept == nickname_keys("夏至442").kept == "夏至442"
    assert nickname_keys("北巷787本尊").kept == "北巷787"
    assert nickname_keys("夏至").kept != nickname_keys("夏至442").kept
    assert nickname_keys("夏至").core == nickname_keys("夏至442").core
