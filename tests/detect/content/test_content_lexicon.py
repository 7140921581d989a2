"""The compiled lexicon: the disk cache of what compile_pack derives, and the channels a hit comes through."""

from __future__ import annotations

import pytest

from qinglang.detect.content import diskcache
from qinglang.detect.content.lexicon import compile_pack
from qinglang.detect.content.pack import parse_pack
from qinglang.detect.content.screener import Screener

PACK = """qinglang_policy: 1
name: t
version: "1"
categories:
  abuse:
    terms:
      - {term: 傻逼, weight: 0.8}
      - {term: 煞笔, weight: 0.8, pinyin: false}
      - {term: 狗东西, weight: 0.7}
"""


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QINGLANG_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("QINGLANG_CONTENT_CACHE", raising=False)
    return tmp_path / "cache" / "content"


def test_a_pack_compiled_before_is_loaded_from_the_disk_cache(cache):
    pack = parse_pack(PACK)
    first = compile_pack(pack, [("另一个词", "other", 0.3)])
    assert not first.from_cache
    assert list(cache.glob("lexicon-*.pkl"))
    again = compile_pack(parse_pack(PACK), [("另一个词", "other", 0.3)])
    assert again.from_cache
    assert again.keys == first.keys and again.py_keys == first.py_keys
    # another lexicon is another entry, not the cached one
    other = compile_pack(parse_pack(PACK), [("别的词", "other", 0.3)])
    assert not other.from_cache and "别的词" in other.keys


def test_a_damaged_cache_entry_is_rebuilt_and_the_cache_can_be_switched_off(cache, monkeypatch):
    compile_pack(parse_pack(PACK))
    for f in cache.glob("lexicon-*.pkl"):
        f.write_bytes(b"not a pickle")
    lex = compile_pack(parse_pack(PACK))
    assert not lex.from_cache and "傻逼" in lex.keys
    assert compile_pack(parse_pack(PACK)).from_cache
    monkeypatch.setenv("QINGLANG_CONTENT_CACHE", "0")
    assert not compile_pack(parse_pack(PACK)).from_cache


def test_exact_words_homophones_and_initials_come_through_their_channels(cache):
    sc = Screener(parse_pack(PACK))

    def channels(text):
        return {(s["term"], s["channel"]) for s in sc.screen([text])[0].spans}

    assert channels("你个傻逼") == {("傻逼", "text")}
    assert channels("你个煞笔") == {("煞笔", "text")}  # as written; it has the same sound as 傻逼
    assert channels("你个沙比") == {("傻逼", "pinyin")}  # a homophone of the term that allows sound
    assert channels("你个shabi") == {("傻逼", "pinyin")}
    assert channels("你个gdx") == {("狗东西", "initials")}
    assert channels("其实就是这样") == set()


def test_key_hashes_agree_with_the_matcher_on_long_batches(cache):
    sc = Screener(parse_pack(PACK))
    texts = ["平常的一句话"] * 5000 + ["最后才骂一句狗东西"]
    res = sc.screen(texts)
    assert [r.index for r in res if r.categories] == [5000]
    assert res[-1].spans[0]["matched"] == "狗东西"


def test_cache_keys_depend_on_every_part():
    assert diskcache.make_key("a", 1) != diskcache.make_key("a", 2)
    assert diskcache.make_key("ab", "c") != diskcache.make_key("a", "bc")
