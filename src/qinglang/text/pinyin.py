"""Per-character pinyin, built once from pypinyin, and pinyin spelled in Latin letters.

pypinyin per call is slow (about 4.6 µs a character); a per-character table is
about 80x faster. `PinyinTable` fills its table lazily from pypinyin's
character dictionary (context-free: the most common reading of each
character), so the first sight of a character costs one dictionary lookup and
every later one a dict hit.

Also here:
- `syllables()`: the toneless syllable inventory (from pypinyin's data), used
  to segment Latin runs such as ``xiaoming`` into ``xiao ming``;
- `fuzzy()`: near-homophone folding as Chinese input methods do it
  (zh/z, ch/c, sh/s, n/l, r/l, f/h, -ang/-an, -eng/-en, -ing/-in, ...);
- `segment_latin()`: Latin letters -> syllables, falling back to single
  letters (initials) where the letters are no pinyin (``wxm``).

Reusable: the content-screening normaliser may use `pinyin_table()` for
homophone-proof keyword matching.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["PinyinTable", "pinyin_table", "syllables", "fuzzy", "segment_latin", "initial_letters"]


def _strip_tone(reading: str) -> str:
    """'lǜ' -> 'lv', 'wáng' -> 'wang', 'ḿ' -> 'm'."""
    reading = reading.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v").replace("ǚ", "v").replace("ǜ", "v")
    decomposed = unicodedata.normalize("NFD", reading)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out.replace("ü", "v").lower()


class PinyinTable:
    """Toneless pinyin of single characters; `get(ch)` is a dict lookup after the first call."""

    def __init__(self) -> None:
        from pypinyin.constants import PINYIN_DICT

        self._source = PINYIN_DICT
        self._cache: dict[str, str | None] = {}

    def get(self, ch: str) -> str | None:
        """Most common toneless reading of `ch`, or None when it has no pinyin."""
        try:
            return self._cache[ch]
        except KeyError:
            pass
        raw = self._source.get(ord(ch)) if len(ch) == 1 else None
        value = _strip_tone(raw.split(",", 1)[0]) if raw else None
        self._cache[ch] = value
        return value

    def readings(self, ch: str) -> tuple[str, ...]:
        """All toneless readings (heteronyms) of `ch`, most common first."""
        raw = self._source.get(ord(ch)) if len(ch) == 1 else None
        if not raw:
            return ()
        seen: dict[str, None] = {}
        for r in raw.split(","):
            seen.setdefault(_strip_tone(r), None)
        return tuple(seen)

    def of_text(self, text: str) -> list[str | None]:
        """Per character of `text`: its pinyin or None."""
        get = self.get
        return [get(ch) for ch in text]

    def table(self, chars: str) -> dict[str, str]:
        """A plain {char: pinyin} dict for the characters given (those that have pinyin)."""
        out = {}
        for ch in chars:
            p = self.get(ch)
            if p:
                out[ch] = p
        return out


@functools.lru_cache(maxsize=1)
def pinyin_table() -> PinyinTable:
    """The process-wide table (built on first use)."""
    return PinyinTable()


@functools.lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (about 420, plus interjections)."""
    from pypinyin.constants import PINYIN_DICT

    toned = {r for raw in set(PINYIN_DICT.values()) for r in raw.split(",")}
    out = {s for s in map(_strip_tone, toned) if s.isascii() and s.isalpha()}
    # Interjection-only readings make Latin segmentation absurd ('m', 'n', 'ng', 'hm').
    out -= {"m", "n", "ng", "hm", "hng"}
    return frozenset(out)


# --- near-homophones ---------------------------------------------------------
_INITIAL_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("f", "h"))
_FINAL_FOLD = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


@functools.lru_cache(maxsize=4096)
def fuzzy(syllable: str) -> str:
    """Fold a syllable to its near-homophone class (as fuzzy-pinyin input methods do).

    Both 'zhang' and 'zan' fold to 'zan'; 'lin', 'ling', 'nin' and 'ning' all to 'lin'.
    Letters that are no syllable (initials) are returned unchanged.
    """
    s = syllable
    for a, b in _INITIAL_FOLD:
        if s.startswith(a) and len(s) > len(a):
            s = b + s[len(a):]
            break
    for a, b in _FINAL_FOLD:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


@functools.lru_cache(maxsize=65536)
def segment_latin(letters: str) -> tuple[str, ...]:
    """Split lowercase Latin letters into pinyin syllables; letters that fit none stay single.

    'xiaoming' -> ('xiao', 'ming'); 'wxm' -> ('w', 'x', 'm'); 'wangxm' -> ('wang', 'x', 'm').
    Dynamic programming over the syllable inventory: fewest pieces, a syllable costing 1 and a
    stray letter 1.5, so real pinyin wins over letter soup and 'xian' stays one syllable.
    """
    sy = syllables()
    n = len(letters)
    if n == 0:
        return ()
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == inf:
            continue
        # stray letter
        c = best[i] + 1.5
        if c < best[i + 1]:
            best[i + 1], back[i + 1] = c, i
        for j in range(i + 1, min(n, i + 6) + 1):
            if letters[i:j] in sy:
                c = best[i] + 1.0
                if c < best[j]:
                    best[j], back[j] = c, i
    out: list[str] = []
    j = n
    while j > 0:
        i = back[j]
        out.append(letters[i:j])
        j = i
    return tuple(reversed(out))


def initial_letters(sylls: list[str] | tuple[str, ...]) -> str:
    """'wang xiao ming' -> 'wxm' (first letter of each syllable)."""
    return "".join(s[0] for s in sylls if s)
