"""Turn hits into per-post, per-category rule scores with readable evidence.

For each post and category:
- term and pattern hits inside an allow-listed phrase of the same category are dropped;
- each remaining hit weighs its term's weight, times the pinyin factor when it was
  found only by sound, times the factor of the category's context rules present in
  its clause (clause scope) or anywhere in the post (post scope) - the lowest
  lowering factor and the highest raising one;
- a combo fires when one of its anchors and one of its modifiers share a clause (or sit up to
  `reach` clauses apart, weighing `reach_factor` less per clause between them), anywhere in the
  post (scope post), or follow each other within `gap` characters (scope adjacent: a contact
  word and the ID after it); its weight is the combo's weight times the contexts' factor, and
  the best pair counts;
- a reference (term, pattern, combo) counts once, at its strongest;
- the rule score is 1 - prod(1 - w) over what counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qinglang.detect.content.lexicon import (ROLE_ALLOW, ROLE_ANCHOR, ROLE_CONTEXT, ROLE_MODIFIER, ROLE_TERM, Lexicon,
                                             initials_factor)
from qinglang.detect.content.matcher import CHANNEL_INITIALS, CHANNEL_PATTERN, CHANNEL_PINYIN, Hits, Matcher
from qinglang.detect.content.normalize import NormBatch

CHANNEL_NAMES = ("text", "pinyin", "pattern", "initials")
_PATTERN_ROLE = {"term": ROLE_TERM, "anchor": ROLE_ANCHOR, "modifier": ROLE_MODIFIER}
MAX_ROWS_PER_POST = 500


@dataclass
class PostRules:
    """Rule evidence of one post."""

    scores: dict[str, float] = field(default_factory=dict)
    spans: list[dict] = field(default_factory=list)
    signals: dict[str, list[dict]] = field(default_factory=dict)
    contexts: dict[str, list[str]] = field(default_factory=dict)  # category -> contexts that applied


def _combine(weights: list[float]) -> float:
    p = 1.0
    for w in weights:
        p *= 1.0 - min(max(w, 0.0), 0.999)
    return 1.0 - p


class RuleScorer:
    def __init__(self, lexicon: Lexicon, matcher: Matcher):
        self.lex = lexicon
        self.matcher = matcher
        pack = lexicon.pack
        self.combos = {c: pack.categories[c].combos for c in pack.categories}
        self.cat_names = lexicon.categories
        self._pattern_roles = np.asarray([_PATTERN_ROLE[p.role] for p in matcher.patterns], dtype=np.int64)

    @staticmethod
    def _follow(nb: NormBatch, post: int, rx, a_hits: list, gap: int) -> list:
        """Matches of a modifier pattern starting right after an anchor hit (within `gap` characters of
        normalised text): the ID after a contact word. Searched here, after each anchor, rather than
        over whole posts, so a long latin run (chaodijiaweixinabc123) cannot hide it."""
        out = []
        end = int(nb.norm_offsets[post + 1]) - 1
        for a in a_hits:
            for pos in range(a[6], min(a[6] + gap, end) + 1):
                mm = rx.match(nb.norm, pos, end)
                if mm is not None and mm.end() > mm.start():
                    s_, e_ = mm.start(), mm.end()
                    os_, oe = nb.orig_span(np.asarray([post]), np.asarray([s_]), np.asarray([e_]))
                    out.append((a[0], int(os_[0]), int(oe[0]), CHANNEL_PATTERN, e_ - s_, s_, e_))
                    break
        return out

    def _pair_weight(self, combo, a, m) -> float:
        """Weight of a combo fired by anchor hit `a` and modifier hit `m` (0 when they are too far apart):
        the combo's weight, times reach_factor per clause between them, times the pinyin factor of a
        part found only by sound."""
        (a0, a1), (m0, m1) = a[0][:2], m[0][:2]
        if combo.scope == "adjacent":
            # the modifier follows the anchor within `gap` characters (微信 abc123), or starts inside it
            # and runs on (a regex ID match that swallowed a latin contact word: weixinabc123)
            a_ns, a_ne, m_ns, m_ne = a[5], a[6], m[5], m[6]
            follows = 0 <= m_ns - a_ne <= combo.gap
            runs_on = a_ns <= m_ns < a_ne and m_ne - a_ne >= 4
            if not (follows or runs_on):
                return 0.0
            w = combo.weight
        elif combo.scope == "post":
            w = combo.weight
        else:
            dist = max(0, max(a0, m0) - min(a1, m1))  # clauses between the two ranges
            if dist > combo.reach:
                return 0.0
            # reaching into another clause stays inside the sentence (not across 。 or a line break)
            if dist and (m[0][2] > a[0][3] if m0 > a1 else a[0][2] > m[0][3]):
                return 0.0
            w = combo.weight * combo.reach_factor ** dist
        return w * min(self._sound_factor(a[3], a[4]), self._sound_factor(m[3], m[4]))

    def _sound_factor(self, channel: int, n_chars: int) -> float:
        """How much a combo part found by sound counts: pinyin as for terms; initials like the
        initials keys of terms (two letters are a common latin token and count much less)."""
        if channel == CHANNEL_PINYIN:
            return self._pinyin_factor(n_chars)
        if channel == CHANNEL_INITIALS:
            return initials_factor(self.lex.pack.pinyin, n_chars)
        return 1.0

    def _pinyin_factor(self, n_chars: int) -> float:
        py = self.lex.pack.pinyin
        return py.long_weight_factor if n_chars >= 3 else py.weight_factor

    def score(self, nb: NormBatch, hits: Hits) -> dict[int, PostRules]:
        """Rule evidence for every post that has at least one term, combo part or pattern hit."""
        if not len(hits):
            return {}
        lex = self.lex
        roles = np.full(len(hits), -1, dtype=np.int64)
        lexical = hits.entry >= 0
        roles[lexical] = lex.e_role[hits.entry[lexical]]
        if len(self._pattern_roles):
            roles[~lexical] = self._pattern_roles[np.maximum(hits.pattern[~lexical], 0)]
        # a post needs a hit that counts on its own or an anchor: modifiers alone (笑死, an ID-like token)
        # can never score
        evidence_like = (roles == ROLE_TERM) | (roles == ROLE_ANCHOR)
        posts_with = np.unique(hits.post[evidence_like])
        if not len(posts_with):
            return {}
        sel = np.isin(hits.post, posts_with)
        h = hits.take(sel)
        order = np.lexsort((h.n_start, h.post))
        h = h.take(order)
        bounds = np.flatnonzero(np.diff(h.post)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(h.post)]])
        out: dict[int, PostRules] = {}
        ce = h.clause_end if h.clause_end is not None else h.clause
        ss = h.sentence if h.sentence is not None else np.zeros(len(h.post), dtype=np.int64)
        se = h.sentence_end if h.sentence_end is not None else ss
        # clause: (first clause, last clause, first sentence, last sentence) of the hit
        cols = (h.post.tolist(), h.n_start.tolist(), h.n_end.tolist(), h.o_start.tolist(), h.o_end.tolist(),
                h.entry.tolist(), h.channel.tolist(),
                list(zip(h.clause.tolist(), ce.tolist(), ss.tolist(), se.tolist())), h.pattern.tolist())
        for a, b in zip(starts.tolist(), ends.tolist()):
            post = cols[0][a]
            if b - a > MAX_ROWS_PER_POST:
                # a pathological post (a term repeated thousands of times): keep the first
                # occurrences of each entry/pattern, which decide the score anyway
                key = h.entry[a:b] * 1000 + h.pattern[a:b]
                _, first = np.unique(key, return_index=True)
                idx = (np.sort(first) + a)[:MAX_ROWS_PER_POST].tolist()
            else:
                idx = range(a, b)
            rows = [tuple(c[i] for c in cols[1:]) for i in idx]
            out[post] = self._post(nb, post, rows)
        return out

    def _post(self, nb: NormBatch, post: int, rows) -> PostRules:
        text = nb.texts[post]
        lex = self.lex
        e_role, e_cat, e_w, e_ref, e_ctx = lex.e_role, lex.e_cat, lex.e_weight, lex.e_ref, lex.e_context
        allow: dict[int, list[tuple[int, int]]] = {}
        ctx_clause: dict[tuple[int, int], set[int]] = {}  # (cat, ctx) -> clauses
        ev = []  # (cat, kind, ref, weight, channel, clause, ns, ne, os, oe, role)
        for ns, ne, os_, oe, entry, channel, clause, pat in rows:
            if entry < 0:
                p = self.matcher.patterns[pat]
                ev.append((int(self.matcher.pattern_cat[pat]), "pattern", p.name, p.weight, channel, clause, ns, ne,
                           os_, oe, _PATTERN_ROLE[p.role]))
                continue
            role = int(e_role[entry])
            cat = int(e_cat[entry])
            if role == ROLE_ALLOW:
                allow.setdefault(cat, []).append((ns, ne))
            elif role == ROLE_CONTEXT:
                ctx_clause.setdefault((cat, int(e_ctx[entry])), set()).update(range(clause[0], clause[1] + 1))
            else:
                ev.append((cat, "term", lex.refs[e_ref[entry]], float(e_w[entry]), channel, clause, ns, ne, os_, oe, role))
        res = PostRules()
        if not ev:
            return res
        by_cat: dict[int, list] = {}
        for item in ev:
            cat, _, _, _, _, _, ns, ne, *_ = item
            if any(a <= ns and ne <= b for a, b in allow.get(cat, ())):
                continue
            by_cat.setdefault(cat, []).append(item)

        for cat, items in by_cat.items():
            cname = self.cat_names[cat]
            # a term inside a longer term hit of the same category (杂种 in 狗杂种), or a pattern inside a
            # longer pattern hit (www.x.cn in https://www.x.cn), does not count again
            for kind in ("term", "pattern"):
                spans_ = [(it[6], it[7]) for it in items if it[10] == ROLE_TERM and it[1] == kind]
                if len(spans_) > 1:
                    items = [it for it in items if not (it[10] == ROLE_TERM and it[1] == kind and any(
                        a <= it[6] and it[7] <= b and (b - a) > (it[7] - it[6]) for a, b in spans_))]
            ctxs = [(lex.contexts[ci], clauses) for (c, ci), clauses in ctx_clause.items() if c == cat]

            def factor(clause: tuple[int, int], _ctxs=ctxs) -> tuple[float, list[str]]:
                low, high, names = 1.0, 1.0, []
                for ctx, clauses in _ctxs:
                    if ctx.scope == "post" or any(c in clauses for c in range(clause[0], clause[1] + 1)):
                        names.append(ctx.name)
                        if ctx.factor < 1:
                            low = min(low, ctx.factor)
                        else:
                            high = max(high, ctx.factor)
                return low * high, names

            best: dict[tuple[str, str], float] = {}
            signals = []
            used_ctx: set[str] = set()
            anchors: dict[str, list] = {}
            modifiers: dict[str, list] = {}
            for _, kind, ref, w, channel, clause, ns, ne, os_, oe, role in items:
                if role == ROLE_ANCHOR:
                    anchors.setdefault(ref, []).append((clause, os_, oe, channel, ne - ns, ns, ne))
                    continue
                if role == ROLE_MODIFIER:
                    modifiers.setdefault(ref, []).append((clause, os_, oe, channel, ne - ns, ns, ne))
                    continue
                f, names = factor(clause)
                used_ctx.update(names)
                weight = w * f * (self._pinyin_factor(ne - ns) if channel == CHANNEL_PINYIN else 1.0)
                key = (kind, ref)
                if weight > best.get(key, -1.0):
                    best[key] = weight
                res.spans.append({"start": os_, "end": oe, "category": cname, "matched": text[os_:oe], "term": ref,
                                  "channel": CHANNEL_NAMES[channel]})
                signals.append({"kind": kind, "term": ref, "weight": round(weight, 4), "channel": CHANNEL_NAMES[channel],
                                "contexts": names})
            for combo in self.combos.get(cname, ()):
                a_hits = anchors.get(combo.anchors, [])
                rx = self.matcher.anchored.get((cat, combo.modifiers))
                if rx is not None and a_hits:
                    m_hits = self._follow(nb, post, rx, a_hits, combo.gap)
                else:
                    m_hits = modifiers.get(combo.modifiers, [])
                if not a_hits or not m_hits:
                    continue
                fired, fired_w = None, -1.0
                for a_ in a_hits:
                    for m in m_hits:
                        w_pair = self._pair_weight(combo, a_, m)
                        if w_pair > fired_w:
                            fired, fired_w = (a_, m), w_pair
                if fired is None or fired_w <= 0:
                    continue
                (a_clause, a_s, a_e, a_ch, _, _, _), (m_clause, m_s, m_e, m_ch, _, _, _) = fired
                f, names = factor((min(a_clause[0], m_clause[0]), max(a_clause[1], m_clause[1])))
                used_ctx.update(names)
                weight = fired_w * f
                best[("combo", combo.name)] = max(best.get(("combo", combo.name), -1.0), weight)
                for s_, e_, ref, ch in ((a_s, a_e, combo.anchors, a_ch), (m_s, m_e, combo.modifiers, m_ch)):
                    res.spans.append({"start": s_, "end": e_, "category": cname, "matched": text[s_:e_],
                                      "term": ref, "channel": CHANNEL_NAMES[ch]})
                signals.append({"kind": "combo", "term": combo.name, "weight": round(weight, 4),
                                "anchor": text[a_s:a_e], "modifier": text[m_s:m_e], "contexts": names})
            if best:
                res.scores[cname] = _combine(list(best.values()))
                res.signals[cname] = signals
                if used_ctx:
                    res.contexts[cname] = sorted(used_ctx)
        res.spans.sort(key=lambda s: (s["start"], s["end"], s["category"]))
        return res
