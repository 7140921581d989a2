"""Find a lexicon's keys and patterns in a normalised batch of posts.

Output is columnar (`Hits`): one row per (hit, entry) with the post, the span in
normalised batch positions, the span in code points of the original post, the
entry (category/role/weight/reference), the channel it came through and the
clause it sits in. Everything per hit is vectorised; only posts with hits are
looked at one by one later (scoring.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from qinglang.detect.content.lexicon import Lexicon
from qinglang.detect.content.normalize import NormBatch

CHANNEL_CHAR, CHANNEL_PINYIN, CHANNEL_PATTERN, CHANNEL_INITIALS = 0, 1, 2, 3
SENTENCE_CHARS = "。｡\n\r\x00"  # ends of sentences (？ and ！ are often rhetorical inside one: 江姐？不过是...)


@dataclass
class Hits:
    post: np.ndarray  # int64
    n_start: np.ndarray  # normalised batch positions
    n_end: np.ndarray
    o_start: np.ndarray  # code points of the original post
    o_end: np.ndarray
    entry: np.ndarray  # int64 entry index (-1 for patterns)
    channel: np.ndarray  # int8
    clause: np.ndarray  # int64 clause id (global within the batch) of the first character
    pattern: np.ndarray  # int32 pattern index into Matcher.patterns (-1 for lexicon hits)
    clause_end: np.ndarray | None = None  # clause id of the last character
    sentence: np.ndarray | None = None  # sentence id (clauses between 。 and line breaks) of the first character
    sentence_end: np.ndarray | None = None  # ... of the last character

    def __len__(self) -> int:
        return len(self.post)

    @staticmethod
    def empty() -> "Hits":
        z = np.zeros(0, dtype=np.int64)
        return Hits(z, z, z, z, z, z, z.astype(np.int8), z, z.astype(np.int32))

    @staticmethod
    def concat(parts: list["Hits"]) -> "Hits":
        parts = [p for p in parts if len(p)]
        if not parts:
            return Hits.empty()
        return Hits(*[np.concatenate([getattr(p, f) for p in parts]) for f in _ARRAYS])

    def take(self, idx) -> "Hits":
        h = Hits(*[getattr(self, f)[idx] for f in _ARRAYS])
        for f in ("clause_end", "sentence", "sentence_end"):
            if getattr(self, f) is not None:
                setattr(h, f, getattr(self, f)[idx])
        return h


_ARRAYS = ("post", "n_start", "n_end", "o_start", "o_end", "entry", "channel", "clause", "pattern")


@functools.lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from qinglang.detect.content.charmap import base_tables

    return frozenset(s for s in base_tables().syllable_ids
                     if (len(s) >= 2 or s in "aeo") and s not in ("ng", "hm", "hng", "m", "n"))


@functools.lru_cache(maxsize=4096)
def _pinyin_run(s: str) -> bool:
    """`s` (latin letters) splits into whole toneless pinyin syllables (depu: de pu)."""
    s = s.lower()
    if not s or not s.isascii() or not s.isalpha():
        return False
    syl = _syllables()
    ok = [True] + [False] * len(s)
    for i in range(1, len(s) + 1):
        for j in range(max(0, i - 6), i):
            if ok[j] and s[j:i] in syl:
                ok[i] = True
                break
    return ok[-1]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values[i] in sorted_set (a sorted uint64 array), vectorised."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[pos] == values


class Matcher:
    def __init__(self, lexicon: Lexicon):
        self.lex = lexicon
        t = lexicon.normalizer.tables
        self._clause = t.clause
        self._sentence = np.zeros(len(t.clause), dtype=bool)  # hard ends: a combo's reach does not cross them
        for c in SENTENCE_CHARS:
            self._sentence[ord(c)] = True
        self._alnum = np.zeros(len(t.clause), dtype=bool)
        for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
            self._alnum[ord(c)] = True
        # full-width latin letters and digits count as latin for token boundaries
        for c in range(0xFF10, 0xFF1A):
            self._alnum[c] = True
        for c in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):
            self._alnum[c] = True
        self._latin = t.is_latin
        self._vowel = np.zeros(len(t.clause), dtype=bool)
        for c in "aeiouAEIOU":
            self._vowel[ord(c)] = True
            self._vowel[ord(c) + 0xFEE0] = True  # full-width forms
        self.patterns = [p for _, p, _ in lexicon.patterns_norm] + [p for _, p, _ in lexicon.patterns_orig]
        # modifier patterns used only by `adjacent` combos are searched right after their anchors
        # (scoring.py), not over whole posts: (category index, pattern name) -> compiled regex
        self.anchored: dict[tuple[int, str], object] = {}
        pack = lexicon.pack
        cat_index = {c: i for i, c in enumerate(lexicon.categories)}
        for rx, p, ci in lexicon.patterns_norm:
            if p.role != "modifier":
                continue
            combos = [c for c in pack.categories[p.category].combos if c.modifiers == p.name]
            if combos and all(c.scope == "adjacent" for c in combos):
                self.anchored[(cat_index[p.category], p.name)] = rx
        self._skip = {i for i, (_, p, _) in enumerate(lexicon.patterns_norm)
                      if (cat_index[p.category], p.name) in self.anchored}
        self._build_first_tables()
        self.pattern_cat = np.asarray([c for _, _, c in lexicon.patterns_norm] + [c for _, _, c in lexicon.patterns_orig],
                                      dtype=np.int16)

    # ------------------------------------------------------------------
    def match(self, nb: NormBatch) -> Hits:
        clause_cum = np.cumsum(self._clause[nb.raw_cps])
        han_hits, homophones = self._syllable_hits(nb)
        char_hits, py_hits = self._char_hits(nb), self._pinyin_hits(nb, homophones)
        if len(char_hits) and len(py_hits):
            # a key with latin letters written as it is (加v) is also heard on the pinyin channel: once is enough
            seen = {(p, a, b, e) for p, a, b, e in zip(char_hits.post.tolist(), char_hits.n_start.tolist(),
                                                        char_hits.n_end.tolist(), char_hits.entry.tolist())}
            dup = np.fromiter(((p, a, b, e) in seen for p, a, b, e in zip(
                py_hits.post.tolist(), py_hits.n_start.tolist(), py_hits.n_end.tolist(), py_hits.entry.tolist())),
                dtype=bool, count=len(py_hits))
            if dup.any():
                py_hits = py_hits.take(~dup)
        hits = Hits.concat([char_hits, han_hits, py_hits])
        if len(hits):
            hits = self._token_boundaries(nb, hits)
        pat = self._pattern_hits(nb)
        hits = Hits.concat([hits, pat])
        if len(hits):
            # a hit spans the clauses from its first to its last character, so a clause mark
            # inserted inside a term as a separator (江…姐) does not cut it off from its neighbours
            raw_start = nb.raw_offsets[hits.post] + hits.o_start
            raw_last = nb.raw_offsets[hits.post] + np.maximum(hits.o_end - 1, hits.o_start)
            hits.clause = clause_cum[raw_start] - self._clause[nb.raw_cps[raw_start]]
            hits.clause_end = clause_cum[raw_last] - self._clause[nb.raw_cps[raw_last]]
            sent_cum = np.cumsum(self._sentence[nb.raw_cps])
            hits.sentence = sent_cum[raw_start] - self._sentence[nb.raw_cps[raw_start]]
            hits.sentence_end = sent_cum[raw_last] - self._sentence[nb.raw_cps[raw_last]]
        return hits

    def _expand(self, key_ids: np.ndarray, first: np.ndarray, count: np.ndarray, index: np.ndarray | None):
        cnt = count[key_ids]
        rep = np.repeat(np.arange(len(key_ids)), cnt)
        offs = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pos = first[key_ids][rep] + offs
        entries = index[pos] if index is not None else pos
        return rep, entries

    def _key_hits(self, nb: NormBatch, key_ids: np.ndarray, s: np.ndarray, e: np.ndarray) -> Hits:
        """Character-channel hits of keys (ids into lexicon.keys) at normalised batch spans."""
        lex = self.lex
        if not len(key_ids):
            return Hits.empty()
        rep, entries = self._expand(key_ids, lex.k_first, lex.k_count, None)
        s, e = s[rep], e[rep]
        post = nb.post_of(s)
        os_, oe = nb.orig_span(post, s, e)
        n = len(rep)
        channel = lex.e_via[entries].astype(np.int8)
        return Hits(post, s, e, os_, oe, entries, channel, np.zeros(n, np.int64), np.full(n, -1, np.int32))

    def _char_hits(self, nb: NormBatch) -> Hits:
        """Keys that are not all Han (latin, digits, mixtures, single characters) on the normalised text."""
        lex = self.lex
        if lex.ac is None:
            return Hits.empty()
        m = lex.ac.find_matches_as_indexes(nb.norm, overlapping=True)
        if not m:
            return Hits.empty()
        a = np.asarray(m, dtype=np.int64)
        return self._key_hits(nb, lex.o_keys[a[:, 0]], a[:, 1], a[:, 2])

    def _syllable_hits(self, nb: NormBatch) -> tuple[Hits, tuple | None]:
        """Han keys through their syllable codes (one code point per toneless syllable), over every post.
        A hit whose characters are a key's (same 64-bit hash) is that key's character-channel hit;
        another hit of a key with a homophone pinyin key is a homophone (沙比 for 傻逼) unless the
        characters it covers read as an ordinary word (其实 for 骑士) or straddle one (是|什么 is not
        湿身). Returns (the exact hits, (pinyin key, start, end) of the homophones kept)."""
        lex = self.lex
        if lex.s_ac is None or not len(nb.norm_cps):
            return Hits.empty(), None
        tables = lex.normalizer.tables
        codes = tables.syl_code[nb.norm_cps]
        m = lex.s_ac.find_matches_as_indexes(codes.tobytes().decode("utf-32-le", "surrogatepass"), overlapping=True)
        if not m:
            return Hits.empty(), None
        a = np.asarray(m, dtype=np.int64)
        sid, s, e = a[:, 0], a[:, 1], a[:, 2]
        prefix, inv = self._segment_hashes(nb)
        with np.errstate(over="ignore"):
            seg = (prefix[e] - prefix[s]) * inv[s]
            cnt = lex.s_exact_count[sid]
            rep = np.repeat(np.arange(len(sid)), cnt)
            offs = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            cand = lex.s_exact_keys[lex.s_exact_first[sid][rep] + offs]
            ok = seg[rep] == lex.k_hash[cand]
        exact = np.zeros(len(sid), dtype=bool)
        exact[rep[ok]] = True
        han_hits = self._key_hits(nb, cand[ok], s[rep[ok]], e[rep[ok]])
        py_key = lex.s_py[sid]
        hom = np.flatnonzero(~exact & (py_key >= 0))
        if len(hom) and len(lex.common_hashes):
            hs, he = s[hom], e[hom]
            drop = _member(seg[hom], lex.common_hashes)  # an ordinary word
            two = (he - hs == 2) & ~drop
            if two.any():
                # two characters straddling words (是|什么 is not 湿身)
                L = len(nb.norm_cps)
                a_, b_ = hs[two], he[two]
                with np.errstate(over="ignore"):
                    left = np.where(a_ >= 1, (prefix[a_ + 1] - prefix[np.maximum(a_ - 1, 0)]) * inv[np.maximum(a_ - 1, 0)], 0)
                    right = np.where(b_ + 1 <= L, (prefix[np.minimum(b_ + 1, L)] - prefix[a_ + 1]) * inv[a_ + 1], 0)
                straddle = (_member(left, lex.common_hashes) & (a_ >= 1)) | (_member(right, lex.common_hashes) & (b_ + 1 <= L))
                drop[np.flatnonzero(two)[straddle]] = True
            hom = hom[~drop]
        return han_hits, ((py_key[hom], s[hom], e[hom]) if len(hom) else None)

    def _segment_hashes(self, nb: NormBatch) -> tuple[np.ndarray, np.ndarray]:
        """Prefix sums of mix(c_i) * B^i over the normalised batch and B^-i: the hash of a segment [s, e)
        is (prefix[e] - prefix[s]) * B^-s, the same as lexicon.key_hashes of its characters."""
        from qinglang.detect.content.lexicon import hash_powers
        from qinglang.detect.content.minhash import _mix

        L = len(nb.norm_cps)
        prefix = np.zeros(L + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(_mix(nb.norm_cps.astype(np.uint64)) * hash_powers(L), out=prefix[1:])
        return prefix, hash_powers(L + 1, inverse=True)

    def _pinyin_hits(self, nb: NormBatch, homophones: tuple | None) -> Hits:
        """Homophones (from _syllable_hits) and, only near latin letters, pinyin spellings, initials and
        mixtures ("shabi", 智zhang, s全家) matched letter by letter; such hits must include a latin letter."""
        lex = self.lex
        parts = [homophones] if homophones is not None else []
        tables = lex.normalizer.tables
        lat = self._latin[nb.norm_cps]
        if lex.py_ac is not None and lat.any():
            # characters within 4 of a latin letter keep their pinyin; other Han characters become '#'
            cnt = np.concatenate([[0], np.cumsum(lat)])
            L = len(lat)
            idx = np.arange(L)
            near = (cnt[np.minimum(idx + 5, L)] - cnt[np.maximum(idx - 4, 0)]) > 0
            mod = np.where(tables.is_han[nb.norm_cps] & ~near, np.uint32(35), nb.norm_cps)
            out, src = tables.pinyin.apply(mod)
            starts = np.ones(len(src), dtype=bool)
            if len(src) > 1:
                starts[1:] = src[1:] != src[:-1]
            m = lex.py_ac.find_matches_as_indexes(out.tobytes().decode("utf-32-le", "surrogatepass"), overlapping=True)
            if m:
                a = np.asarray(m, dtype=np.int64)
                ps, pe = a[:, 1], a[:, 2]
                ok = starts[ps] & ((pe >= len(starts)) | starts[np.minimum(pe, len(starts) - 1)])
                a = a[ok]
                s = src[a[:, 1]]
                e = src[a[:, 2] - 1] + 1
                has_latin = (cnt[e] - cnt[s]) > 0
                if has_latin.any():
                    parts.append((a[has_latin, 0], s[has_latin], e[has_latin]))
        if not parts:
            return Hits.empty()
        keys = np.concatenate([p[0] for p in parts])
        s = np.concatenate([p[1] for p in parts])
        e = np.concatenate([p[2] for p in parts])
        rep, entries = self._expand(keys, lex.py_first, lex.py_count, lex.py_entry_index)
        s, e = s[rep], e[rep]
        post = nb.post_of(s)
        os_, oe = nb.orig_span(post, s, e)
        n = len(rep)
        return Hits(post, s, e, os_, oe, entries, np.ones(n, np.int8), np.zeros(n, np.int64), np.full(n, -1, np.int32))

    def _token_boundaries(self, nb: NormBatch, hits: Hits) -> Hits:
        """Latin/digit-edged hits must not continue a latin word of the original (sb in asbestos)."""
        lex = self.lex
        norm_cps = nb.norm_cps
        left = self._alnum[norm_cps[hits.n_start]]
        right = self._alnum[norm_cps[hits.n_end - 1]]
        check = left | right
        if not check.any():
            return hits
        raw = nb.raw_cps
        base = nb.raw_offsets[hits.post]
        rs = base + hits.o_start
        re_ = base + hits.o_end
        before = np.where(hits.o_start > 0, self._alnum[raw[np.maximum(rs - 1, 0)]], False)
        after = self._alnum[raw[np.minimum(re_, len(raw) - 1)]] & (re_ < nb.raw_offsets[hits.post + 1] - 1)
        bad_left, bad_right = left & before, right & after
        if bad_right.any():
            ent = np.maximum(hits.entry, 0)
            glue = np.where(hits.channel == CHANNEL_PINYIN, lex.e_glue_sound[ent], lex.e_glue_text[ent])
            bad_right &= ~(glue & (hits.entry >= 0))  # a contact word running into its ID: 微xinabc123
        bad = bad_left | bad_right
        if not bad.any():
            return hits
        # initials written run together (bxndgjr for 被洗脑的工具人, 吹CLD for 吹出来的): a hit of three or more
        # characters found by sound may start or end (not both) inside a latin token without vowels,
        # which no word or pinyin spelling is (shorter hits, or hits between two acronyms as in
        # HTML和CSS, are too often a coincidence)
        sound = (hits.channel == CHANNEL_PINYIN) | (hits.channel == CHANNEL_INITIALS)
        cand = bad & sound & (hits.n_end - hits.n_start >= 3) & (bad_left ^ bad_right)  # one edge inside
        if cand.any():
            vf = self._vowel_free(raw)
            ok = (~bad_left | vf[rs]) & (~bad_right | vf[np.maximum(re_ - 1, rs)])
            bad &= ~(cand & ok)
        # pinyin written run together (被神huadepu for 被神化的普): a hit found by sound may continue a
        # latin token when the rest of the token spells whole pinyin syllables too
        run = bad & (hits.channel == CHANNEL_PINYIN)  # spellings, not initials (ch in xingchen)
        if run.any():
            raw_s = None
            for i in np.flatnonzero(run).tolist():
                if raw_s is None:
                    raw_s = nb.raw_cps.tobytes().decode("utf-32-le", "surrogatepass")
                a, b = int(rs[i]), int(re_[i])
                lo, hi = a, b
                while lo > 0 and self._alnum[raw[lo - 1]]:
                    lo -= 1
                while hi < len(raw) and self._alnum[raw[hi]]:
                    hi += 1
                if (not bad_left[i] or _pinyin_run(raw_s[lo:a])) and (not bad_right[i] or _pinyin_run(raw_s[b:hi])):
                    bad[i] = False
        return hits.take(~bad) if bad.any() else hits

    def _vowel_free(self, raw: np.ndarray) -> np.ndarray:
        """True at each letter/digit of the raw batch whose latin token has no vowel (a e i o u)."""
        a = self._alnum[raw]
        starts = a.copy()
        starts[1:] &= ~a[:-1]
        tid = np.cumsum(starts) - 1
        has_vowel = np.zeros(int(starts.sum()) + 1, dtype=bool)
        vowel = a & self._vowel[raw]
        has_vowel[tid[vowel]] = True
        return a & ~has_vowel[np.maximum(tid, 0)]

    def _pattern_hits(self, nb: NormBatch) -> Hits:
        """Regular expressions, run only on posts that contain one of the characters a match can
        start with (derived from each regex); a regex whose first character cannot be derived runs
        over the whole batch."""
        parts = []
        n_norm = len(self.lex.patterns_norm)
        if n_norm:
            parts.extend(self._run_patterns(nb, self.lex.patterns_norm, 0, nb.norm, nb.norm_cps, nb.norm_offsets,
                                            normalized=True))
        if self.lex.patterns_orig:
            raw = "\x00".join(nb.texts) + "\x00"
            parts.extend(self._run_patterns(nb, self.lex.patterns_orig, n_norm, raw, nb.raw_cps, nb.raw_offsets,
                                            normalized=False))
        return Hits.concat(parts)

    def _run_patterns(self, nb: NormBatch, patterns, offset: int, string: str, cps: np.ndarray,
                      offsets: np.ndarray, normalized: bool) -> list[Hits]:
        table, full, need = self._pattern_tables[normalized]
        post_bits = None
        if table is not None and len(offsets) > 1:
            post_bits = np.bitwise_or.reduceat(table[cps], offsets[:-1], axis=0)  # [posts, words]
        out = []
        for pi, (rx, _p, _c) in enumerate(patterns):
            spans = []
            if normalized and pi in self._skip:
                continue
            if pi in full:
                spans = [(m.start(), m.end()) for m in rx.finditer(string)]
            elif post_bits is not None:
                ok = np.ones(len(post_bits), dtype=bool)
                for w, mask in need[pi]:
                    ok &= (post_bits[:, w] & mask) == mask
                cand = np.flatnonzero(ok)
                if len(cand) * 8 > len(ok):
                    # many candidates: one pass over the batch is cheaper (a match needs the required
                    # characters, so it can only be in a candidate post), unless a match runs across
                    # the U+0000 between two posts: then post by post after all
                    spans = [(m.start(), m.end()) for m in rx.finditer(string)]
                    if any(string.find("\x00", a, b) >= 0 for a, b in spans):
                        spans = []
                        for post in cand.tolist():
                            spans.extend((m.start(), m.end()) for m in
                                         rx.finditer(string, int(offsets[post]), int(offsets[post + 1]) - 1))
                else:
                    for post in cand.tolist():
                        spans.extend((m.start(), m.end()) for m in rx.finditer(string, int(offsets[post]),
                                                                               int(offsets[post + 1]) - 1))
            if not spans:
                continue
            a = np.asarray(spans, dtype=np.int64)
            n = len(a)
            if normalized:
                s, e = a[:, 0], a[:, 1]
                post = nb.post_of(s)
                os_, oe = nb.orig_span(post, s, e)
            else:
                post = np.searchsorted(nb.raw_offsets, a[:, 0], side="right") - 1
                os_, oe = a[:, 0] - nb.raw_offsets[post], a[:, 1] - nb.raw_offsets[post]
                s = np.searchsorted(nb.src_start, a[:, 0])
                e = np.maximum(np.searchsorted(nb.src_start, a[:, 1]), s + 1)
            out.append(Hits(post, s, e, os_, oe, np.full(n, -1, np.int64), np.full(n, CHANNEL_PATTERN, np.int8),
                            np.zeros(n, np.int64), np.full(n, offset + pi, np.int32)))
        return out

    def _build_first_tables(self) -> None:
        """Per code point, bits saying which required character sets of which regex it belongs to: a
        post is searched with a regex only if it holds a character of each of the regex's (up to 3
        smallest) required sets."""
        self._pattern_tables = {}
        for normalized, patterns in ((True, self.lex.patterns_norm), (False, self.lex.patterns_orig)):
            full: set[int] = set()
            need: dict[int, list[tuple[int, np.uint64]]] = {}
            assign: list[tuple[int, set[int]]] = []
            for pi, (rx, _p, _c) in enumerate(patterns):
                sets = [x for x in required_sets(rx.pattern) if len(x) <= 200]
                if not sets:
                    full.add(pi)
                    continue
                # smallest sets first; among equals, those without ASCII letters/digits (rarer in posts)
                sets.sort(key=lambda cs: (len(cs), any(c < 128 and chr(c).isalnum() for c in cs)))
                for cs in sets[:3]:
                    assign.append((pi, cs))
            if not assign:
                self._pattern_tables[normalized] = (None, full, need)
                continue
            words = (len(assign) + 63) // 64
            table = np.zeros((len(self._alnum), words), dtype=np.uint64)
            for k, (pi, cs) in enumerate(assign):
                w, b = divmod(k, 64)
                bit = np.uint64(1) << np.uint64(b)
                idx = np.fromiter((c for c in cs if c < len(table)), dtype=np.int64)
                table[idx, w] |= bit
                lst = need.setdefault(pi, [])
                merged = False
                for j, (ww, m) in enumerate(lst):
                    if ww == w:
                        lst[j] = (w, m | bit)
                        merged = True
                if not merged:
                    lst.append((w, bit))
            self._pattern_tables[normalized] = (table, full, need)


def _re_parser():
    try:
        from re import _constants as C
        from re import _parser as P
    except ImportError:  # Python < 3.11
        import sre_constants as C  # type: ignore
        import sre_parse as P  # type: ignore
    return C, P


def required_sets(pattern: str) -> list[set[int]]:
    """Character sets every match of `pattern` must draw one character from (one per mandatory
    top-level element); empty when nothing can be told."""
    C, P = _re_parser()
    try:
        parsed = P.parse(pattern)
    except Exception:
        return []
    out = []
    for op, av in parsed:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, _hi, sub = av
            if lo == 0:
                continue
            f = _first(list(sub), C)
        else:
            f = _first([(op, av)], C)
        if f:
            out.append(f)
    return out


def first_chars(pattern: str) -> set[int] | None:
    """Code points a match of `pattern` can start with, or None when that cannot be told."""
    C, P = _re_parser()
    try:
        parsed = P.parse(pattern)
    except Exception:
        return None
    return _first(list(parsed), C)


def _first(seq, C) -> set[int] | None:
    for op, av in seq:
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        if op is C.LITERAL:
            return {av}
        if op is C.IN:
            out: set[int] = set()
            for o, a in av:
                if o is C.LITERAL:
                    out.add(a)
                elif o is C.RANGE:
                    if a[1] - a[0] > 5000:
                        return None
                    out.update(range(a[0], a[1] + 1))
                elif o is C.CATEGORY and a is C.CATEGORY_DIGIT:
                    out.update(range(48, 58))
                    out.update(range(0xFF10, 0xFF1A))
                else:
                    return None
            return out
        if op is C.SUBPATTERN:
            return _first(list(av[-1]), C)
        if op is C.BRANCH:
            out = set()
            for alt in av[1]:
                f = _first(list(alt), C)
                if f is None:
                    return None
                out |= f
            return out
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, _hi, sub = av
            if lo == 0:
                return None
            return _first(list(sub), C)
        return None
    return None
