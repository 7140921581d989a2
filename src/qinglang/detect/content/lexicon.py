"""Compile a policy pack into matchers: one Aho-Corasick automaton over normalised
text (the character channel), one over its pinyin (the pinyin channel), and the
pack's regular expressions.

Every key (a normalised term) carries one or more *entries*: (category, role,
weight, reference). Roles: ``term`` (evidence on its own), ``anchor`` and
``modifier`` (evidence only together, see combos), ``allow`` (suppresses hits it
contains), ``context`` (changes the weight of hits near it).

The pinyin channel is kept selective (a naive one fires on 90% of ordinary
posts, e.g. 其实 sounds like 骑士): only Han terms of at least
``pinyin.min_syllables`` characters get a pinyin key, and a key is dropped when a
common word of the jieba dictionary (frequency >= ``pinyin.common_min_freq``)
that is not itself a term sounds the same. Hits must start and end on character
boundaries, and a pinyin hit weighs ``pinyin.weight_factor`` of its term.
"""

from __future__ import annotations

import functools
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

from qinglang.detect.content.charmap import syllables_batch
from qinglang.detect.content.normalize import Normalizer
from qinglang.detect.content.pack import CONTENT_CATEGORIES, PolicyPack
from qinglang.detect.content.yamlines import PackError

ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER, ROLE_ALLOW, ROLE_CONTEXT = range(5)
ROLES = ("term", "anchor", "modifier", "allow", "context")

_ALNUM = re.compile(r"[a-z0-9]")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=4)
def common_words(min_freq: int) -> frozenset[str]:
    """Words of 2-4 characters in jieba's dictionary with frequency >= min_freq (ordinary words)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    digits = max(1, len(str(min_freq)) - 1)
    pairs = re.findall(r"^([^ \n]{2,4}) (\d{%d,})" % digits, text, re.M)
    return frozenset(w for w, f in pairs if int(f) >= min_freq)


@dataclass
class Lexicon:
    pack: PolicyPack
    normalizer: Normalizer
    categories: tuple[str, ...]
    # entries
    e_cat: np.ndarray  # int16 index into categories; -1 = pack-wide
    e_role: np.ndarray  # int8
    e_weight: np.ndarray  # float64
    e_ref: np.ndarray  # int32 index into refs
    refs: list[str]
    e_context: np.ndarray  # int32 context index (ROLE_CONTEXT), else -1
    contexts: list  # Context objects
    # character channel
    keys: list[str]
    k_first: np.ndarray  # int64: first entry of each key
    k_count: np.ndarray  # int64
    k_left_alnum: np.ndarray  # bool: key starts with a latin letter/digit (needs a token boundary)
    k_right_alnum: np.ndarray
    # pinyin channel
    py_keys: list[str]
    py_first: np.ndarray
    py_count: np.ndarray
    py_key_text: list[str]  # the normalised term each pinyin key came from
    py_dropped: int
    ac: object = None
    py_ac: object = None
    patterns_norm: list = field(default_factory=list)  # (compiled, Pattern, category index)
    patterns_orig: list = field(default_factory=list)
    build_seconds: float = 0.0

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    def stats(self) -> dict:
        return {"keys": len(self.keys), "pinyin_keys": len(self.py_keys),
                "pinyin_keys_latin_only": self.py_dropped,
                "entries": int(len(self.e_cat)), "patterns": len(self.patterns_norm) + len(self.patterns_orig),
                "build_seconds": round(self.build_seconds, 3)}


VIA_TEXT, VIA_INITIALS = 0, 3


def _all_pack_terms(pack: PolicyPack):
    """Yield (text, category, role, weight, ref, pinyin, context_name, line) for everything matched by lookup."""
    for cname, cat in pack.categories.items():
        for t in cat.terms:
            yield t.text, cname, ROLE_TERM, t.weight, t.text, t.pinyin, None, t.line
        combo_roles: dict[str, int] = {}
        for c in cat.combos:
            combo_roles.setdefault(c.anchors, ROLE_ANCHOR)
            combo_roles.setdefault(c.modifiers, ROLE_MODIFIER)
        for lname, items in cat.lists.items():
            role = combo_roles.get(lname, ROLE_MODIFIER)
            for t in items:
                yield t.text, cname, role, t.weight, lname, t.pinyin, None, t.line
        role = combo_roles.get("gazetteer", ROLE_ANCHOR)
        for h in cat.gazetteer:
            for text in (h.name, *h.aliases):
                yield text, cname, role, 1.0, "gazetteer", True, None, h.line
            for text in (h.pinyin, h.initials):
                if text and len(text) >= 3:  # 2-letter initials match too much
                    yield text, cname, role, 1.0, "gazetteer", False, None, h.line
        for a in cat.allow:
            yield a, cname, ROLE_ALLOW, 0.0, a, False, None, 0
        for ctx_name in cat.contexts:
            ctx = pack.contexts[ctx_name]
            for t in ctx.terms:
                yield t, cname, ROLE_CONTEXT, ctx.factor, ctx_name, False, ctx_name, ctx.line


def compile_pack(pack: PolicyPack, extra_terms: list[tuple[str, str, float]] | None = None) -> Lexicon:
    """Build the matchers of a pack. `extra_terms` (text, category, weight) are added as terms
    (benchmarks load a large lexicon this way)."""
    import ahocorasick_rs

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    last = [t0]

    def _tick(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - last[0], 4)
        last[0] = now

    han_targets = set()
    items = list(_all_pack_terms(pack))
    n_pack_items = len(items)  # initials and initial variants are made for the pack's own terms only
    if extra_terms:
        items.extend((t, c, ROLE_TERM, w, t, True, None, 0) for t, c, w in extra_terms)
    for it in items[:n_pack_items]:  # split characters are recomposed into characters of the pack's terms
        if it[2] in (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER):
            han_targets.update(ch for ch in it[0] if "\u4e00" <= ch <= "\u9fff")
    _tick("items")
    normalizer = Normalizer(pack.normalize, pack.stand_ins, han_targets)
    categories = CONTENT_CATEGORIES
    cat_index = {c: i for i, c in enumerate(categories)}

    _tick("normalizer")
    texts = [it[0] for it in items]
    nb = normalizer.batch(texts)
    normed = nb.norm.split("\x00")[: len(texts)]
    _tick("normalise terms")
    via = [VIA_TEXT] * len(items)
    # initials of longer Han terms (狗东西 -> gdx) and gazetteer names, matched as latin tokens
    if pack.pinyin.enabled and pack.normalize.pinyin:
        cand = [i for i, (it, key) in enumerate(zip(items[:n_pack_items], normed))
                if it[5] and it[2] in (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER) and len(key) >= 2 and _HAN.fullmatch(key)]
        sylls = syllables_batch([normed[i] for i in cand])
        extra_items, extra_keys = [], []
        for i, sy in zip(cand, sylls):
            if not all(sy):
                continue
            text, cname, role, weight, ref, py, ctx_name, line = items[i]
            # two-letter initials (wd for 网赌) are common latin tokens: they weigh much less
            f = pack.pinyin.weight_factor if len(sy) >= 3 else pack.pinyin.weight_factor * 0.6
            extra_items.append(("".join(x[0] for x in sy), cname, role, weight * f, ref, False, None, line))
            extra_keys.append(extra_items[-1][0])
        items = items + extra_items
        normed = normed + extra_keys
        via = via + [VIA_INITIALS] * len(extra_items)

    _tick("initials")
    key_entries: dict[str, list[int]] = {}
    e_cat, e_role, e_weight, e_ref, e_ctx, e_py, e_via = [], [], [], [], [], [], []
    refs: list[str] = []
    ref_index: dict[str, int] = {}
    ctx_list = list(pack.contexts.values())
    ctx_index = {c.name: i for i, c in enumerate(ctx_list)}
    seen_entry = set()
    for (text, cname, role, weight, ref, py, ctx_name, line), key, v in zip(items, normed, via):
        if not key:
            raise PackError(pack.source, line or None,
                            f"{text!r} ({ROLES[role]} of {cname}) is empty once normalised (only separators or symbols)")
        sig = (key, cname, role, ref, v)
        if sig in seen_entry:
            continue
        seen_entry.add(sig)
        if ref not in ref_index:
            ref_index[ref] = len(refs)
            refs.append(ref)
        key_entries.setdefault(key, []).append(len(e_cat))
        e_cat.append(cat_index.get(cname, -1))
        e_role.append(role)
        e_weight.append(weight)
        e_ref.append(ref_index[ref])
        e_ctx.append(ctx_index[ctx_name] if ctx_name else -1)
        e_py.append(py)
        e_via.append(v)

    _tick("entries")
    keys = list(key_entries)
    k_first, k_count, order = [], [], []
    for k in keys:
        ids = key_entries[k]
        k_first.append(len(order))
        k_count.append(len(ids))
        order.extend(ids)
    order_a = np.asarray(order, dtype=np.int64)
    e_cat_a = np.asarray(e_cat, dtype=np.int16)[order_a]
    e_role_a = np.asarray(e_role, dtype=np.int8)[order_a]
    e_weight_a = np.asarray(e_weight, dtype=np.float64)[order_a]
    e_ref_a = np.asarray(e_ref, dtype=np.int32)[order_a]
    e_ctx_a = np.asarray(e_ctx, dtype=np.int32)[order_a]
    e_py_a = np.asarray(e_py, dtype=bool)[order_a]
    e_via_a = np.asarray(e_via, dtype=np.int8)[order_a]

    _tick("entry arrays")
    # pinyin channel: keys of Han terms that are long enough; hits that read as a common word
    # (其实 for 骑士) are dropped at match time (matcher.py)
    cfg = pack.pinyin
    py_entries: dict[str, list[int]] = {}
    py_text: dict[str, str] = {}
    latin_only: set[str] = set()
    py_syll: dict[str, list[str]] = {}
    if cfg.enabled and pack.normalize.pinyin:
        cand, cand_ids, cand_variants = [], [], []
        pack_keys = set(normed[:n_pack_items])
        eligible = (e_py_a & np.isin(e_role_a, (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER)))
        any_eligible = np.logical_or.reduceat(eligible, np.asarray(k_first, dtype=np.int64)) if keys else []
        elig_list = eligible.tolist()
        for ki, k in enumerate(keys):
            if not any_eligible[ki] or len(k) < cfg.min_syllables or not _HAN.fullmatch(k):
                continue
            f, c = k_first[ki], k_count[ki]
            ids = [f + j for j in range(c) if elig_list[f + j]] if c > 1 else [f]
            if ids:
                cand.append(k)
                cand_ids.append(ids)
                cand_variants.append(k in pack_keys)
        for k, ids, sy, var in zip(cand, cand_ids, syllables_batch(cand), cand_variants):
            if not all(sy):
                continue
            py = "".join(sy)
            py_syll.setdefault(py, sy)
            py_entries.setdefault(py, []).extend(ids)
            py_text.setdefault(py, k)
            if var and cfg.initial_variants and 3 <= len(k) <= 4:
                # some characters written as their initial (死全家 -> s全家, 神经病 -> 神jb); an initial
                # is a latin letter, so these keys only count where the post shows one
                n = len(sy)
                for mask in range(1, (1 << n) - 1):
                    v = "".join(sy[j][0] if mask >> j & 1 else sy[j] for j in range(n))
                    if len(v) < 3:
                        continue
                    py_entries.setdefault(v, []).extend(ids)
                    py_text.setdefault(v, k)
                    latin_only.add(v)
    dropped = len(latin_only)
    _tick("pinyin keys")
    py_text_direct = {p for p, k in py_text.items() if p not in latin_only}
    py_keys = list(py_entries)
    py_first, py_count, py_order = [], [], []
    # pinyin keys index the same entry table: store a second index array
    for k in py_keys:
        py_first.append(len(py_order))
        py_count.append(len(py_entries[k]))
        py_order.extend(py_entries[k])

    lex = Lexicon(
        pack=pack, normalizer=normalizer, categories=categories,
        e_cat=e_cat_a, e_role=e_role_a, e_weight=e_weight_a, e_ref=e_ref_a, refs=refs, e_context=e_ctx_a,
        contexts=ctx_list, keys=keys, k_first=np.asarray(k_first, dtype=np.int64),
        k_count=np.asarray(k_count, dtype=np.int64),
        k_left_alnum=np.asarray([bool(_ALNUM.match(k[0])) for k in keys], dtype=bool),
        k_right_alnum=np.asarray([bool(_ALNUM.match(k[-1])) for k in keys], dtype=bool),
        py_keys=py_keys, py_first=np.asarray(py_first, dtype=np.int64), py_count=np.asarray(py_count, dtype=np.int64),
        py_key_text=[py_text[k] for k in py_keys], py_dropped=dropped,
    )
    lex.py_latin_only = np.asarray([k in latin_only and k not in py_text_direct for k in py_keys], dtype=bool) \
        if py_keys else np.zeros(0, dtype=bool)  # type: ignore[attr-defined]
    lex.common_words = common_words(cfg.common_min_freq) if cfg.drop_common else frozenset()  # type: ignore
    # words frequent enough that two characters straddling one of them are read as that word
    lex.frequent_words = common_words(cfg.common_min_freq * 10) if cfg.drop_common else frozenset()  # type: ignore
    lex.key_set = frozenset(keys)  # type: ignore[attr-defined]
    lex.e_via = e_via_a  # type: ignore[attr-defined]
    lex.py_entry_index = np.asarray(py_order, dtype=np.int64)  # type: ignore[attr-defined]
    _tick("lexicon object")
    lex.ac = ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard) if keys else None
    lex.py_ac = (ahocorasick_rs.AhoCorasick(py_keys, matchkind=ahocorasick_rs.MatchKind.Standard)
                 if py_keys else None)
    _tick("automata")
    # the same direct keys as syllable codes (one code point per syllable, charmap.syl_code):
    # matched against the syllable codes of every post, they can only hit whole characters
    ids_ = normalizer.tables.syllable_ids
    direct = [i for i, k in enumerate(py_keys) if k in py_syll]
    lex.py_delim_key = np.asarray(direct, dtype=np.int64)  # type: ignore[attr-defined]
    lex.py_delim_ac = (ahocorasick_rs.AhoCorasick(["".join(chr(ids_[x]) for x in py_syll[py_keys[i]]) for i in direct],
                                                  matchkind=ahocorasick_rs.MatchKind.Standard)
                       if direct else None)  # type: ignore[attr-defined]
    _tick("syllable automaton")
    for cname, cat in pack.categories.items():
        for p in cat.patterns:
            entry = (re.compile(p.regex), p, cat_index[cname])
            (lex.patterns_orig if p.on == "original" else lex.patterns_norm).append(entry)
    _tick("patterns")
    lex.build_seconds = time.perf_counter() - t0
    lex.timings = timings  # type: ignore[attr-defined]
    return lex
