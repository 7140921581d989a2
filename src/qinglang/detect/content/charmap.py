"""Per-code-point tables the normaliser runs on, built once per process.

Everything the evasion-proof pipeline does per character is precomputed here
into flat NumPy arrays indexed by code point, so a whole batch of posts is
normalised with a handful of vectorised array operations instead of a Python
loop per character:

- *fold*: NFKC (full-width and compatibility forms), lower case, traditional ->
  simplified (OpenCC's character table), and deletion of everything that is not
  a letter or a digit (spaces, punctuation, symbols, emoji, zero-width and other
  format characters, combining marks). A code point folds to 0, 1 or (rarely,
  e.g. ``⑩`` -> ``10``) several code points: ``fold_len[cp]`` output code points
  stored at ``fold_flat[fold_start[cp]:...]``.
- *pinyin*: each Han character's first reading from pypinyin's character table,
  without tones (``ü`` written ``v``); latin letters and digits stand for
  themselves. Same flat layout (``py_len``, ``py_start``, ``py_flat``).
- *clause*: code points that end a clause (。，！？；… and their ASCII forms,
  line breaks), used to scope context and co-occurrence rules.

Building the tables takes a few seconds of CPU (Unicode data, OpenCC, pypinyin for every code
point); `base_tables()` keeps them per process and on disk (diskcache.py), so later processes load
them in a few tens of milliseconds.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np

N_CODEPOINTS = 0x110000
BOUNDARY = 0  # U+0000 separates posts inside a batch string; it survives folding
#: One code point per toneless syllable (about 415) from U+0100 on: two bytes in UTF-8, so the syllable
#: automaton stays small. Non-Han characters of that range read as '#' in the syllable channel.
SYLLABLE_BASE = 0x0100
TABLES_VERSION = 2  # bump when the tables' construction changes (invalidates the disk cache)

#: Code point ranges whose folding is computed explicitly; everything else folds to itself.
_FOLD_RANGES = (
    (0x0000, 0x10000),  # BMP: latin, full-width, CJK, punctuation, symbols, format chars
    (0x1D400, 0x1D800),  # mathematical alphanumerics (𝐀 -> a): a common evasion
    (0x1F000, 0x1FB00),  # emoji, enclosed alphanumerics, pictographs
    (0xE0000, 0xE0080),  # tag characters (invisible)
    (0xE0100, 0xE01F0),  # variation selectors supplement
)
_DELETE_CATEGORIES = ("Z", "C", "P", "S", "M")

CLAUSE_CHARS = "。，！？；…\n\r,.!?;～~｡､、"


@dataclass(frozen=True)
class FlatMap:
    """A code point -> sequence-of-code-points map stored flat."""

    length: np.ndarray  # uint8[N]
    start: np.ndarray  # uint32[N]
    flat: np.ndarray  # uint32[...]

    def with_overrides(self, overrides: dict[int, str]) -> "FlatMap":
        """A copy where the given code points map to the given strings ('' deletes)."""
        if not overrides:
            return self
        length = self.length.copy()
        start = self.start.copy()
        extra = []
        pos = len(self.flat)
        for cp, s in overrides.items():
            length[cp] = len(s)
            start[cp] = pos
            extra.extend(ord(c) for c in s)
            pos += len(s)
        flat = np.concatenate([self.flat, np.asarray(extra, dtype=np.uint32)]) if extra else self.flat
        return FlatMap(length, start, flat)

    def apply(self, cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map an array of code points; returns (output code points, source index of each)."""
        n_out = self.length[cps].astype(np.int64)
        src = np.repeat(np.arange(len(cps), dtype=np.int64), n_out)
        if len(src) == 0:
            return np.zeros(0, dtype=np.uint32), src
        first = np.cumsum(n_out) - n_out
        offs = np.arange(len(src), dtype=np.int64) - np.repeat(first, n_out)
        out = self.flat[self.start[cps[src]].astype(np.int64) + offs]
        return out, src


@dataclass(frozen=True)
class BaseTables:
    fold: FlatMap
    pinyin: FlatMap
    clause: np.ndarray  # bool[N]
    is_han: np.ndarray  # bool[N]
    is_latin: np.ndarray  # bool[N]: ASCII letters (after folding)
    t2s: dict[str, str]  # traditional -> simplified characters (for terms and docs)
    syl_code: np.ndarray  # uint32[N]: a Han character -> one private-use code point per toneless syllable
    syllable_ids: dict[str, int]  # toneless syllable -> its code point in syl_code


def _t2s_table() -> dict[str, str]:
    """Traditional -> simplified single characters, from OpenCC's t2s conversion."""
    import opencc

    cc = opencc.OpenCC("t2s")
    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    out = cc.convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # a conversion that merged lines: fall back to one at a time
        out = [cc.convert(c) for c in chars]
    return {a: b for a, b in zip(chars, out) if a != b and len(b) == 1}


@functools.lru_cache(maxsize=None)
def _strip_tone(s: str) -> str:
    s = s.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v").replace("ǚ", "v").replace("ǜ", "v")
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).replace("ü", "v")


def _pinyin_readings() -> dict[int, str]:
    from pypinyin import pinyin_dict

    out = {}
    for cp, readings in pinyin_dict.pinyin_dict.items():
        py = _strip_tone(readings.split(",", 1)[0]).lower()
        if py.isascii() and py.isalpha():
            out[cp] = py
    return out


def _fold_char(ch: str, t2s: dict[str, str]) -> str:
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        for d in c.lower():
            d = t2s.get(d, d)
            if unicodedata.category(d)[0] in _DELETE_CATEGORIES:
                continue
            out.append(d)
    return "".join(out)


@functools.lru_cache(maxsize=1)
def base_tables() -> BaseTables:
    import unicodedata as ud

    from qinglang.detect.content import diskcache

    key = diskcache.make_key("tables", TABLES_VERSION, ud.unidata_version,
                             diskcache.library_versions("OpenCC", "pypinyin", "numpy"))
    return diskcache.cached("tables", key, _build_tables)


def _build_tables() -> BaseTables:
    t2s = _t2s_table()
    length = np.ones(N_CODEPOINTS, dtype=np.uint8)
    start = np.arange(N_CODEPOINTS, dtype=np.uint32)
    flat_parts: list[int] = []  # after the identity entries
    pos = N_CODEPOINTS
    for lo, hi in _FOLD_RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            if cp == BOUNDARY:
                continue
            folded = _fold_char(ch, t2s)
            if folded == ch:
                continue
            if len(folded) == 1:
                start[cp] = ord(folded)
                continue
            length[cp] = len(folded)
            start[cp] = pos
            flat_parts.extend(ord(c) for c in folded)
            pos += len(folded)
    # identity entries: flat[cp] == cp, so a 1-long entry stores its target as its start index
    identity = np.arange(N_CODEPOINTS, dtype=np.uint32)
    fold = FlatMap(length, start, np.concatenate([identity, np.asarray(flat_parts, dtype=np.uint32)]))

    readings = _pinyin_readings()
    py_len = np.ones(N_CODEPOINTS, dtype=np.uint8)
    py_start = np.arange(N_CODEPOINTS, dtype=np.uint32)
    py_flat: list[int] = []
    pos = N_CODEPOINTS
    is_han = np.zeros(N_CODEPOINTS, dtype=bool)
    for cp, py in readings.items():
        if cp >= N_CODEPOINTS:
            continue
        is_han[cp] = True
        py_len[cp] = len(py)
        py_start[cp] = pos
        py_flat.extend(ord(c) for c in py)
        pos += len(py)
    pinyin = FlatMap(py_len, py_start, np.concatenate([identity, np.asarray(py_flat, dtype=np.uint32)]))
    syllable_ids: dict[str, int] = {}
    syl_code = identity.copy()
    for py in sorted(set(readings.values())):
        syllable_ids[py] = SYLLABLE_BASE + len(syllable_ids)
    assert SYLLABLE_BASE + len(syllable_ids) <= 0x800, "syllable codes must stay two bytes long in UTF-8"
    syl_code[SYLLABLE_BASE:SYLLABLE_BASE + len(syllable_ids)] = ord("#")  # never confused with a syllable
    for cp, py in readings.items():
        if cp < N_CODEPOINTS:
            syl_code[cp] = syllable_ids[py]

    clause = np.zeros(N_CODEPOINTS, dtype=bool)
    for c in CLAUSE_CHARS:
        clause[ord(c)] = True
    clause[BOUNDARY] = True
    is_latin = np.zeros(N_CODEPOINTS, dtype=bool)
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        is_latin[ord(c)] = True
    return BaseTables(fold, pinyin, clause, is_han, is_latin, t2s, syl_code, syllable_ids)


def fold_text(text: str) -> str:
    """Fold one string with the base table (no stand-ins, no repeat collapse): for terms and tests."""
    t = base_tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out, _ = t.fold.apply(cps)
    return out.tobytes().decode("utf-32-le")


def pinyin_of(text: str) -> str:
    """Toneless pinyin of a (folded) string, syllables concatenated."""
    t = base_tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out, _ = t.pinyin.apply(cps)
    return out.tobytes().decode("utf-32-le")


def syllables_batch(texts: list[str]) -> list[list[str]]:
    """Toneless pinyin syllables of each character of each text (non-Han characters as themselves),
    computed for the whole list at once."""
    if not texts:
        return []
    t = base_tables()
    joined = "\x00".join(texts) + "\x00"
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out, src = t.pinyin.apply(cps)
    # put a separator (U+0001) before every character's pinyin
    starts = np.ones(len(src), dtype=bool)
    starts[1:] = src[1:] != src[:-1]
    marked = np.insert(out, np.flatnonzero(starts), 1)
    s = marked.tobytes().decode("utf-32-le", "surrogatepass")
    return [part.split("\x01")[1:] for part in s.split("\x01\x00")[: len(texts)]]


def syllables_of(text: str) -> list[str]:
    """Toneless pinyin syllable of each Han character (other characters as themselves)."""
    t = base_tables()
    res = []
    for c in text:
        cp = ord(c)
        n = int(t.pinyin.length[cp])
        s = int(t.pinyin.start[cp])
        res.append("".join(chr(x) for x in t.pinyin.flat[s:s + n]) if n else "")
    return res
