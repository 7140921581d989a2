"""Find a lexicon's keys and patterns in a normalised batch of posts.

Output is columnar (`Hits`): one row per (hit, entry) with the post, the span in
normalised batch positions, the span in code points of the original post, the
entry (category/role/weight/reference), the channel it came through and the
clause it sits in. Everything per hit is vectorised; only posts with hits are
looked at one by one later (scoring.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinglang.detect.content.lexicon import Lexicon
from qinglang.detect.content.normalize import NormBatch

CHANNEL_CHAR, CHANNEL_PINYIN, CHANNEL_PATTERN, CHANNEL_INITIALS = 0, 1, 2, 3


@dataclass
class Hits:
    post: np.ndarray  # int64
    n_start: np.ndarray  # normalised batch positions
    n_end: np.ndarray
    o_start: np.ndarray  # code points of the original post
    o_end: np.ndarray
    entry: np.ndarray  # int64 entry index (-1 for patterns)
    channel: np.ndarray  # int8
    clause: np.ndarray  # int64 clause id (global within the batch)
    pattern: np.ndarray  # int32 pattern index into Matcher.patterns (-1 for lexicon hits)

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
        return Hits(*[np.concatenate([getattr(p, f) for p in parts]) for f in Hits.__dataclass_fields__])

    def take(self, idx) -> "Hits":
        return Hits(*[getattr(self, f)[idx] for f in Hits.__dataclass_fields__])


class Matcher:
    def __init__(self, lexicon: Lexicon):
        self.lex = lexicon
        t = lexicon.normalizer.tables
        self._clause = t.clause
        self._alnum = np.zeros(len(t.clause), dtype=bool)
        for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
            self._alnum[ord(c)] = True
        # full-width latin letters and digits count as latin for token boundaries
        for c in range(0xFF10, 0xFF1A):
            self._alnum[c] = True
        for c in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):
            self._alnum[c] = True
        self._latin = t.is_latin
        self.patterns = [p for _, p, _ in lexicon.patterns_norm] + [p for _, p, _ in lexicon.patterns_orig]
        self.pattern_cat = np.asarray([c for _, _, c in lexicon.patterns_norm] + [c for _, _, c in lexicon.patterns_orig],
                                      dtype=np.int16)

    # ------------------------------------------------------------------
    def match(self, nb: NormBatch) -> Hits:
        clause_cum = np.cumsum(self._clause[nb.raw_cps])
        parts = [self._char_hits(nb), self._pinyin_hits(nb)]
        hits = Hits.concat(parts)
        if len(hits):
            hits = self._token_boundaries(nb, hits)
        pat = self._pattern_hits(nb)
        hits = Hits.concat([hits, pat])
        if len(hits):
            raw_start = nb.raw_offsets[hits.post] + hits.o_start
            hits.clause = clause_cum[raw_start] - self._clause[nb.raw_cps[raw_start]]
        return hits

    def _expand(self, key_ids: np.ndarray, first: np.ndarray, count: np.ndarray, index: np.ndarray | None):
        cnt = count[key_ids]
        rep = np.repeat(np.arange(len(key_ids)), cnt)
        offs = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pos = first[key_ids][rep] + offs
        entries = index[pos] if index is not None else pos
        return rep, entries

    def _char_hits(self, nb: NormBatch) -> Hits:
        lex = self.lex
        if lex.ac is None:
            return Hits.empty()
        m = lex.ac.find_matches_as_indexes(nb.norm, overlapping=True)
        if not m:
            return Hits.empty()
        a = np.asarray(m, dtype=np.int64)
        rep, entries = self._expand(a[:, 0], lex.k_first, lex.k_count, None)
        s, e = a[rep, 1], a[rep, 2]
        post = nb.post_of(s)
        os_, oe = nb.orig_span(post, s, e)
        n = len(rep)
        channel = lex.e_via[entries].astype(np.int8)
        return Hits(post, s, e, os_, oe, entries, channel, np.zeros(n, np.int64), np.full(n, -1, np.int32))

    def _pinyin_hits(self, nb: NormBatch) -> Hits:
        """Two passes. Syllable codes (one code point per syllable): every post, whole characters, homophones of
        terms; a hit that reads as an ordinary word (其实 for 骑士) or as the term itself (the
        character channel has it) is dropped. Undelimited ("shabi"): only near latin letters, for
        pinyin spellings, initials and mixtures (智zhang, s全家); such hits must include a latin letter.
        ("Delimited" below means this syllable-code pass.)"""
        lex = self.lex
        if lex.py_ac is None:
            return Hits.empty()
        parts = []
        tables = lex.normalizer.tables
        if lex.py_delim_ac is not None:
            codes = tables.syl_code[nb.norm_cps]
            m = lex.py_delim_ac.find_matches_as_indexes(codes.tobytes().decode("utf-32-le", "surrogatepass"),
                                                        overlapping=True)
            if m:
                a = np.asarray(m, dtype=np.int64)
                s, e = a[:, 1], a[:, 2]
                keys = lex.py_delim_key[a[:, 0]]
                keep = np.ones(len(a), dtype=bool)
                norm, common, texts_ = nb.norm, lex.common_words, lex.py_key_text
                for i, (si, ei, k) in enumerate(zip(s.tolist(), e.tolist(), keys.tolist())):
                    seg = norm[si:ei]
                    if seg == texts_[k] or seg in common:
                        keep[i] = False
                if keep.any():
                    parts.append((keys[keep], s[keep], e[keep]))
        lat = self._latin[nb.norm_cps]
        if lat.any():
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
        bad = (left & before) | (right & after)
        return hits.take(~bad) if bad.any() else hits

    def _pattern_hits(self, nb: NormBatch) -> Hits:
        parts = []
        for pi, (rx, _p, _c) in enumerate(self.lex.patterns_norm):
            spans = [(m.start(), m.end()) for m in rx.finditer(nb.norm)]
            if spans:
                a = np.asarray(spans, dtype=np.int64)
                s, e = a[:, 0], a[:, 1]
                post = nb.post_of(s)
                os_, oe = nb.orig_span(post, s, e)
                n = len(a)
                parts.append(Hits(post, s, e, os_, oe, np.full(n, -1, np.int64), np.full(n, CHANNEL_PATTERN, np.int8),
                                  np.zeros(n, np.int64), np.full(n, pi, np.int32)))
        if self.lex.patterns_orig:
            raw = "\x00".join(nb.texts) + "\x00"
            off = len(self.lex.patterns_norm)
            for pj, (rx, _p, _c) in enumerate(self.lex.patterns_orig):
                spans = [(m.start(), m.end()) for m in rx.finditer(raw)]
                if spans:
                    a = np.asarray(spans, dtype=np.int64)
                    post = np.searchsorted(nb.raw_offsets, a[:, 0], side="right") - 1
                    os_, oe = a[:, 0] - nb.raw_offsets[post], a[:, 1] - nb.raw_offsets[post]
                    # normalised positions: the first normalised char at or after the raw start
                    ns = np.searchsorted(nb.src_start, a[:, 0])
                    ne = np.maximum(np.searchsorted(nb.src_start, a[:, 1]), ns + 1)
                    n = len(a)
                    parts.append(Hits(post, ns, ne, os_, oe, np.full(n, -1, np.int64),
                                      np.full(n, CHANNEL_PATTERN, np.int8), np.zeros(n, np.int64),
                                      np.full(n, off + pj, np.int32)))
        return Hits.concat(parts)
