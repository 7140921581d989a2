"""Policy packs: the shipped pack is complete and passes its own tests; malformed packs are refused
with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qinglang.detect.content.lexicon import compile_pack
from qinglang.detect.content.pack import CONTENT_CATEGORIES, load_default_pack, load_pack, validate_pack
from qinglang.detect.content.yamlines import PackError

GOOD = """qinglang_policy: 1
name: test-pack
version: "1"
contexts:
  news: {factor: 0.3, scope: post, terms: [据报道]}
categories:
  abuse:
    weight: 0.7
    terms:
      - 傻逼
      - {term: 脑残, weight: 0.6}
    allow: [傻逼兮兮]
    contexts: [news]
"""


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_default_pack_has_fifty_rules_per_category_and_a_gazetteer():
    pack = load_default_pack()
    for c in CONTENT_CATEGORIES:
        assert pack.categories[c].count_rules() >= 50, c
        assert pack.categories[c].allow, f"{c} has no allow-list"
        assert pack.categories[c].contexts, f"{c} has no context rules"
    heroes = pack.categories["heroes_martyrs"].gazetteer
    assert len(heroes) >= 40
    assert all(h.pinyin and h.initials for h in heroes)
    assert any("江姐" in h.aliases for h in heroes)


def test_good_pack_loads(tmp_path):
    pack = load_pack(write(tmp_path, GOOD))
    assert pack.name == "test-pack"
    assert [t.text for t in pack.categories["abuse"].terms] == ["傻逼", "脑残"]
    assert pack.categories["abuse"].terms[1].weight == 0.6


@pytest.mark.parametrize(
    "bad, line, words",
    [
        (GOOD.replace("weight: 0.6", "weight: 6"), 11, "between 0.0 and 1.0"),
        (GOOD.replace("  abuse:", "  insults:"), 7, "unknown category 'insults'"),
        (GOOD.replace("contexts: [news]", "contexts: [newz]"), 13, "unknown context 'newz'"),
        (GOOD.replace("      - 傻逼\n", "      - 傻逼\n      - {term: x, wieght: 1}\n"), 11, "unknown key 'wieght'"),
        (GOOD + "    patterns:\n      - {regex: '(unclosed'}\n", 15, "bad regex"),
        (GOOD.replace("      - 傻逼\n", "      - [傻逼\n"), None, "not valid YAML"),
        (GOOD.replace("qinglang_policy: 1", "qinglang_policy: 9"), 1, "not supported"),
    ],
)
def test_malformed_pack_names_file_and_line(tmp_path, bad, line, words):
    p = write(tmp_path, bad)
    with pytest.raises(PackError) as e:
        load_pack(p)
    msg = str(e.value)
    assert str(p) in msg
    assert words in msg
    if line is not None:
        assert f"line {line}" in msg
        # the offending line is shown under the message (golden-style)
        assert f"{line} | " in msg


def test_validate_collects_every_error(tmp_path):
    bad = GOOD.replace("weight: 0.6", "weight: 6").replace("contexts: [news]", "contexts: [newz]")
    pack, errors, warnings = validate_pack(write(tmp_path, bad))
    assert pack is None
    assert len(errors) == 2


def test_term_that_normalises_to_nothing_is_refused(tmp_path):
    p = write(tmp_path, GOOD.replace("      - 傻逼\n", "      - '***'\n"))
    with pytest.raises(PackError, match="empty once normalised"):
        compile_pack(load_pack(p))


def test_toml_pack(tmp_path):
    toml = """qinglang_policy = 1
name = "t"
version = "1"
[categories.abuse]
terms = ["傻逼"]
weight = 3
"""
    with pytest.raises(PackError, match="weight"):
        load_pack(write(tmp_path, toml, "pack.toml"))
    ok = load_pack(write(tmp_path, toml.replace("weight = 3", "weight = 0.5"), "ok.toml"))
    assert ok.categories["abuse"].terms[0].text == "傻逼"
