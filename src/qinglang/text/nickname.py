"""Nickname normalisation against the evasion tricks of reincarnated accounts.

A closed account comes back as 王小明 -> 王曉明 (traditional), 王小眀 (similar
shape), 汪晓铭 (homophones), wangxiaoming / 王xiaoming (pinyin), WXM (initials),
王1小2明 / 王.小.明🌟 (inserted digits, symbols, emoji), ＷＡＮＧ (full width),
王小明官方 / 王小明2.0 / 备用王小明 (decorative affixes). Each trick is undone by one
step below, and every name yields a set of keys (`NicknameKeys`) that the
linkage compares and blocks on:

- ``clean``: NFKC (full width, compatibility forms), lower case, look-alike Latin/
  Cyrillic/Greek letters, traditional -> simplified (OpenCC t2s), and only letters
  and digits kept (symbols, emoji and spaces dropped);
- ``kept``: ``clean`` without decorative prefixes/suffixes, digits kept (夏至442官方 ->
  夏至442: the digits of a name like 夏至442 tell it from the common 夏至);
- ``base``: ``clean`` without decorative prefixes/suffixes (官方, 小号, 备用, 工作室,
  official, 2.0 ...) and without digits;
- ``core``: ``base`` with rare look-alike characters folded onto the common
  character they imitate (`shapes.ShapeTable.canonical`) and, in names of two or
  more hanzi, inserted Latin letters removed;
- ``pinyin``: toneless pinyin of ``base`` (hanzi read from the table, Latin runs
  segmented into syllables); ``pinyin_hanzi``: pinyin of the hanzi alone;
- ``fuzzy``: ``pinyin`` folded for near-homophones (zh/z, n/l, -ing/-in ...);
- ``initials``: first letter of each syllable (wxm);
- ``fan_marker``: the name carries a fan-club/derivative marker (粉丝团, 后援会,
  应援, 超话, fans ...): such names are about a star, not the star's comeback.

Fan-club markers are deliberately *not* stripped: 王小明后援会 must not look like
王小明 to the matcher.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from qinglang.text.pinyin import fuzzy, pinyin_table, segment_latin
from qinglang.text.shapes import is_cjk, shape_table

__all__ = ["NicknameKeys", "nickname_keys", "nickname_keys_many", "nickname_columns", "KEY_COLUMNS", "DECORATIVE_PREFIXES", "DECORATIVE_SUFFIXES",
           "FAN_MARKERS", "t2s", "shape_equal"]

#: Decorative words evaders add in front of an old name (after normalisation: lower case, simplified).
DECORATIVE_PREFIXES = (
    "官方", "真正的", "真的", "正版", "唯一", "本尊", "我是", "我才是", "新", "真", "原", "备用", "小号",
    "the real", "real", "official", "im", "iam",
)
#: Decorative words added behind it. Longest first when stripping.
DECORATIVE_SUFFIXES = (
    "官方账号", "官方号", "官方", "官博", "本人", "本尊", "真人", "真号", "正号", "大号", "小号", "的小号", "的新号",
    "的号", "的备用号", "副号", "二号",
    "三号", "新号", "备用号", "备用", "备份", "工作室", "回来了", "又来了", "来了", "归来", "回归", "重生", "复活",
    "重启", "二代", "二世", "再战", "在此", "在这", "的号", "号", "啊", "呀", "哦", "official", "officia",
    "studio", "backup", "real", "new", "again", "back", "returns", "v", "ii", "iii", "plus", "pro",
)
#: Markers of accounts *about* someone (fan clubs, news, data sites): kept, and flagged.
FAN_MARKERS = (
    "粉丝团", "粉丝会", "粉丝站", "粉丝俱乐部", "后援会", "后援团", "后援站", "应援会", "应援站", "应援团", "应援",
    "个站", "资讯站", "资讯", "数据站", "数据组", "超话", "反黑", "打投", "站子", "家族", "全球", "粉丝", "粉",
    "吧", "的迷妹", "迷妹", "守护", "安利", "fans", "fanclub", "fan", "fc", "bar", "daily", "news", "info",
)

# Letters from other scripts that look like Latin ones (confusables).
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ο": "o", "α": "a", "ν": "v", "ι": "i", "κ": "k",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ε": "e", "β": "b", "ℓ": "l",
})

_LATIN = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def t2s(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC)."""
    return _opencc().convert(text) if text else text


@dataclass(frozen=True)
class NicknameKeys:
    raw: str
    clean: str
    base: str
    core: str
    pinyin: str
    pinyin_hanzi: str | None
    fuzzy: str
    initials: str
    fan_marker: bool
    hanzi: int  # number of hanzi in base
    kept: str  # clean without decorative affixes, digits kept

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _prenormalise(text: str) -> str:
    """NFKC, lower case, confusables; before t2s (which works on whole strings)."""
    return unicodedata.normalize("NFKC", text).lower().translate(_CONFUSABLES)


_DECORATIVE_LETTERS = frozenset("のノ丿ㄟㄣ乄丶灬メ")


def _keep(ch: str) -> str:
    """Hanzi, Latin letters and digits stay; symbols, emoji, spaces, marks and decorative kana go."""
    if is_cjk(ch):
        return "" if ch in _DECORATIVE_LETTERS else ch
    if "a" <= ch <= "z" or "0" <= ch <= "9":
        return ch
    if ch in _DECORATIVE_LETTERS:
        return ""
    if ch.isdigit():
        try:
            return str(unicodedata.digit(ch))
        except (TypeError, ValueError):
            return ""
    if ch.isalpha():
        base = unicodedata.normalize("NFD", ch)[0]  # é -> e
        return base if "a" <= base <= "z" else ch
    return ""


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# Long (>= 4 letters) Latin affixes and all hanzi ones strip anywhere at the edge; short Latin ones only
# where they do not continue a Latin word ('leo' keeps its 'o', 'kevin' its 'v').
_SUFFIX_RE = re.compile(
    "(?:" + _alternation(w for w in DECORATIVE_SUFFIXES if not (w.isascii() and len(w) < 4))
    + "|(?<![a-z])(?:" + _alternation(w for w in DECORATIVE_SUFFIXES if w.isascii() and len(w) < 4) + "))+$"
)
_PREFIX_RE = re.compile(
    "^(?:" + _alternation(w for w in DECORATIVE_PREFIXES if not (w.isascii() and len(w) < 4))
    + "|(?:" + _alternation(w for w in DECORATIVE_PREFIXES if w.isascii() and len(w) < 4) + ")(?![a-z]))+"
)
_FAN_RE = re.compile(
    _alternation(w for w in FAN_MARKERS if not (w.isascii() and len(w) <= 3))
    + "|^(?:" + _alternation(w for w in FAN_MARKERS if w.isascii() and len(w) <= 3) + ")(?![a-z])"
    + "|(?<![a-z])(?:" + _alternation(w for w in FAN_MARKERS if w.isascii() and len(w) <= 3) + ")$"
)
_DIGITS = str.maketrans("", "", "0123456789")


def _strip_affixes(s: str) -> str:
    """Remove decorative prefixes and suffixes; never strips a name down to nothing."""
    t = _SUFFIX_RE.sub("", s)
    if len(t) < 2:
        t = s
    u = _PREFIX_RE.sub("", t)
    return u if len(u) >= 2 else t


def _has_fan_marker(s: str) -> bool:
    m = _FAN_RE.search(s)
    return m is not None and (m.end() - m.start()) < len(s)


class _LazyTable(dict):
    """A str.translate table that computes each character's image on first sight."""

    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    def __missing__(self, code: int):
        value = self._fn(chr(code))
        self[code] = value
        return value


def _pinyin_piece(ch: str) -> str | None:
    if "a" <= ch <= "z":
        return ch
    if "0" <= ch <= "9":
        return f" {ch} "
    p = pinyin_table().get(ch) if is_cjk(ch) else None
    return f" {p} " if p else None


_KEEP = _LazyTable(lambda ch: _keep(ch) or None)
_CANON = _LazyTable(lambda ch: shape_table().canonical(ch) if is_cjk(ch) else ch)
_DROP_CJK = _LazyTable(lambda ch: None if is_cjk(ch) else ch)
_ONLY_CJK = _LazyTable(lambda ch: ch if is_cjk(ch) else None)
_NO_LATIN = _LazyTable(lambda ch: None if "a" <= ch <= "z" else ch)
_PINYIN_SPACED = _LazyTable(_pinyin_piece)
_HAS_LATIN = re.compile(r"[a-z]")
_HAS_DIGIT = re.compile(r"[0-9]")
_DIGIT_RUN = re.compile(r"[0-9]+")
_SHORT_DIGITS = re.compile(r"(?<![0-9])[0-9]{1,5}(?![0-9])")


def _syllables_of(s: str) -> list[str]:
    """Pinyin syllables of a string of hanzi, Latin letters and digits (a digit run is one piece)."""
    spaced = s.translate(_PINYIN_SPACED)
    if _HAS_DIGIT.search(s):
        parts = spaced.split()
        merged: list[str] = []
        for piece in parts:  # re-join digits that translate() spaced apart
            if piece.isdigit() and merged and merged[-1].isdigit():
                merged[-1] += piece
            else:
                merged.append(piece)
        parts = merged
    else:
        parts = spaced.split()
    if not _HAS_LATIN.search(s):
        return parts
    out: list[str] = []
    for piece in parts:  # a hanzi's syllable, a digit run, or a Latin run to segment
        out.extend((piece,) if piece.isdigit() else segment_latin(piece))
    return out


@functools.lru_cache(maxsize=1)
def _affix_syllables() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """The decorative affixes as syllable sequences (官方 -> guan fang), longest first: also strips their
    homophones (冠方) and their pinyin (guanfang)."""
    def sylls(words):
        out = {tuple(_syllables_of(w)) for w in words if any(is_cjk(c) for c in w) and len(w) >= 2}
        return tuple(sorted((x for x in out if len(x) >= 2), key=len, reverse=True))

    return sylls(DECORATIVE_PREFIXES), sylls(DECORATIVE_SUFFIXES)


def _strip_affix_syllables(sylls: list[str]) -> list[str]:
    prefixes, suffixes = _affix_syllables()
    changed = True
    while changed and len(sylls) > 2:
        changed = False
        for suf in suffixes:
            n = len(suf)
            if len(sylls) - n >= 2 and tuple(sylls[-n:]) == suf:
                sylls = sylls[:-n]
                changed = True
                break
        for pre in prefixes:
            n = len(pre)
            if len(sylls) - n >= 2 and tuple(sylls[:n]) == pre:
                sylls = sylls[n:]
                changed = True
                break
    return sylls


def _keys_tuple(simplified: str) -> tuple:
    clean = simplified.translate(_KEEP)
    fan = _has_fan_marker(clean)
    stripped = _strip_affixes(clean)
    # inserted digits (王1小2明, 666, 2.0) go; long numbers (用户3617037667) identify and stay
    base = _strip_affixes(_SHORT_DIGITS.sub("", stripped)) or stripped or clean
    hanzi = len(base) - len(base.translate(_DROP_CJK))
    core = base.translate(_CANON)
    if hanzi >= 2:  # letters inserted among hanzi go (王a小明); long numbers stay
        core = core.translate(_NO_LATIN)
    sylls = _strip_affix_syllables(_syllables_of(base))
    pinyin = "".join(sylls)
    pinyin_hanzi = None
    if hanzi >= 2 and _HAS_LATIN.search(base):
        pinyin_hanzi = "".join(_syllables_of(base.translate(_NO_LATIN))) or None
    fz = "".join([fuzzy(x) for x in sylls])
    initials = "".join([x[0] for x in sylls])
    return clean, base, core, pinyin, pinyin_hanzi, fz, initials, fan, hanzi, stripped or clean


def _keys_from_simplified(raw: str, simplified: str) -> NicknameKeys:
    return NicknameKeys(raw, *_keys_tuple(simplified))


#: Column names of `nickname_columns`, in order.
KEY_COLUMNS = ("clean", "base", "core", "pinyin", "pinyin_hanzi", "fuzzy", "initials", "fan_marker", "hanzi", "kept")


def nickname_keys(nickname: str) -> NicknameKeys:
    """All matching keys of one nickname."""
    if not isinstance(nickname, str):
        raise TypeError("nickname must be a string")
    return _keys_from_simplified(nickname, t2s(_prenormalise(nickname)))


def _simplified_chunks(nicknames: list[str | None], chunk: int):
    conv = _opencc()
    for start in range(0, len(nicknames), chunk):
        part = nicknames[start:start + chunk]
        pre = [_prenormalise(n).replace("\n", " ").replace("\r", " ") if n else "" for n in part]
        simplified = conv.convert("\n".join(pre)).split("\n")
        if len(simplified) != len(pre):  # a converter that changed line structure: fall back
            simplified = [conv.convert(p) for p in pre]
        yield part, simplified


def nickname_keys_many(nicknames: list[str | None], chunk: int = 20_000) -> list[NicknameKeys | None]:
    """Keys of many nicknames; OpenCC runs once per chunk on the joined text (much faster)."""
    out: list[NicknameKeys | None] = []
    for part, simplified in _simplified_chunks(nicknames, chunk):
        for raw, simp in zip(part, simplified):
            out.append(_keys_from_simplified(raw, simp) if raw else None)
    return out


def _columns_of_chunk(nicknames: list[str | None]) -> list[list]:
    cols: list[list] = [[] for _ in KEY_COLUMNS]
    empty = (None,) * len(KEY_COLUMNS)
    for part, simplified in _simplified_chunks(nicknames, 20_000):
        for raw, simp in zip(part, simplified):
            row = _keys_tuple(simp) if raw else empty
            for c, v in zip(cols, row):
                c.append(v)
    return cols


def nickname_columns(nicknames: list[str | None], chunk: int = 20_000, processes: int | None = None) -> dict[str, list]:
    """Keys of many nicknames as columns (KEY_COLUMNS), None where the nickname is missing.

    Above 200,000 names the work is spread over the machine's cores (forked workers).
    """
    import os
    import sys

    n_proc = processes if processes is not None else min(os.cpu_count() or 1, 8)
    if n_proc > 1 and len(nicknames) > 200_000 and sys.platform.startswith("linux"):
        import multiprocessing as mp

        step = -(-len(nicknames) // (n_proc * 4))
        parts = [nicknames[k:k + step] for k in range(0, len(nicknames), step)]
        try:
            with mp.get_context("fork").Pool(n_proc) as pool:
                done = pool.map(_columns_of_chunk, parts)
        except OSError:  # no fork here: do it in this process
            done = [_columns_of_chunk(p) for p in parts]
        cols = [[] for _ in KEY_COLUMNS]
        for d in done:
            for c, part in zip(cols, d):
                c.extend(part)
        return dict(zip(KEY_COLUMNS, cols))
    cols: list[list] = [[] for _ in KEY_COLUMNS]
    empty = (None,) * len(KEY_COLUMNS)
    for part, simplified in _simplified_chunks(nicknames, chunk):
        for raw, simp in zip(part, simplified):
            row = _keys_tuple(simp) if raw else empty
            for c, v in zip(cols, row):
                c.append(v)
    return dict(zip(KEY_COLUMNS, cols))


def shape_equal(a: str, b: str, min_score: float = 0.8, max_diff: int = 2) -> bool:
    """Same length, and every differing position holds look-alike characters (at most `max_diff`)."""
    if len(a) != len(b) or a == b:
        return a == b
    st = shape_table()
    diff = 0
    for x, y in zip(a, b):
        if x != y:
            diff += 1
            if diff > max_diff or st.similarity(x, y) < min_score:
                return False
    return True
