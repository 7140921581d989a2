"""The screening pipeline: policy rules + trained models + rumour base + image banks.

Load once, then call `screen(texts, tier=None)` as often as needed; it is safe to
share one `Screener` between threads (it keeps no per-call state).

    screener = Screener(load_default_pack())
    [r.as_dict() for r in screener.screen(["你就是个傻逼"], tier="head")]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from qinglang.detect.content.classifier import ContentModel
from qinglang.detect.content.images import ImageBanks
from qinglang.detect.content.lexicon import ROLE_CONTEXT, Lexicon, compile_pack
from qinglang.detect.content.matcher import Hits, Matcher
from qinglang.detect.content.normalize import NormBatch
from qinglang.detect.content.pack import CONTENT_CATEGORIES, TIERS, PolicyPack
from qinglang.detect.content.rumors import RumorBase
from qinglang.detect.content.scoring import PostRules, RuleScorer
from qinglang.errors import QinglangError

BATCH = 8192
MIN_REPORTED = 0.01  # categories scoring below this are left out of a result


@dataclass
class ScreenResult:
    index: int
    decision: str
    categories: dict[str, float]
    spans: list[dict]
    normalized: str
    tier: str
    signals: dict[str, dict] = field(default_factory=dict)

    def as_dict(self, signals: bool = True) -> dict:
        d = {"index": self.index, "decision": self.decision, "categories": self.categories, "spans": self.spans,
             "normalized": self.normalized, "tier": self.tier}
        if signals:
            d["signals"] = self.signals
        return d


def _decide(score: float, review: float, block: float) -> str:
    if score >= block:
        return "block"
    if score >= review:
        return "review"
    return "pass"


_ORDER = {"pass": 0, "review": 1, "block": 2}


class Screener:
    def __init__(self, pack: PolicyPack, model: ContentModel | None = None, rumors_folder=None,
                 banks: ImageBanks | None = None, extra_terms: list[tuple[str, str, float]] | None = None,
                 rumor_threshold: float = 0.6):
        self.pack = pack
        self.lexicon: Lexicon = compile_pack(pack, extra_terms)
        self.matcher = Matcher(self.lexicon)
        self.scorer = RuleScorer(self.lexicon, self.matcher)
        self.normalizer = self.lexicon.normalizer
        self.model = model
        self.categories = CONTENT_CATEGORIES
        self.cat_index = {c: i for i, c in enumerate(self.categories)}
        self.rumors = (RumorBase.load(rumors_folder, self.normalizer, rumor_threshold)
                       if rumors_folder is not None else None)
        self.banks = banks
        self._thresholds = {t: {c: pack.thresholds_for(c, t) for c in self.categories} for t in TIERS}
        # the compiled lexicon holds 100k+ long-lived objects: keep them out of the cyclic garbage
        # collector's full passes, which otherwise dominate the cost of building results
        import gc

        gc.collect()
        gc.freeze()
        # context entries that lower rumour matches (debunk/news quoting a rumour)
        self._rumor_ctx = {}
        ri = self.cat_index["rumor"]
        for e in np.flatnonzero((self.lexicon.e_role == ROLE_CONTEXT) & (self.lexicon.e_cat == ri)).tolist():
            self._rumor_ctx[e] = self.lexicon.contexts[int(self.lexicon.e_context[e])].factor

    # ------------------------------------------------------------------
    def rules(self, texts: Sequence[str]) -> tuple[NormBatch, Hits, dict[int, PostRules]]:
        """The evasion-proof lexicon stage alone: normalise, match both channels, map spans, score rules."""
        nb = self.normalizer.batch(texts)
        hits = self.matcher.match(nb)
        return nb, hits, self.scorer.score(nb, hits)

    def rule_matrix(self, texts: Sequence[str], with_norm: bool = False):
        """float32[n, categories]: rule scores (classifier features); with_norm: also the normalised texts."""
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        norms: list[str] = []
        for a in range(0, len(texts), BATCH):
            nb, _, rules = self.rules(texts[a:a + BATCH])
            if with_norm:
                norms.extend(nb.norm.split("\x00")[: len(nb)])
            for i, pr in rules.items():
                for c, s in pr.scores.items():
                    out[a + i, self.cat_index[c]] = s
        return (out, norms) if with_norm else out

    def screen(self, texts: Sequence[str], tier: str | Sequence[str] | None = None,
               image_hashes: Sequence[Iterable[str] | None] | None = None,
               reactions: Sequence[Sequence[str] | str | None] | None = None) -> list[ScreenResult]:
        """Screen posts; `tier` is one tier for all posts or one per post (default regular).
        `reactions`: per post the texts of its first reposts/comments (a list, or one text with ` ||| `
        between them; None for none); a trained model with reaction models judges those posts with them."""
        texts = list(texts)
        n = len(texts)
        if tier is None or isinstance(tier, str):
            t = tier or "regular"
            if t not in TIERS:
                raise QinglangError(f"tier must be one of {', '.join(TIERS)}, not {t!r}")
            tiers = [t] * n
        else:
            tiers = [x or "regular" for x in tier]
            if len(tiers) != n:
                raise QinglangError("give one tier per text")
            bad = set(tiers) - set(TIERS)
            if bad:
                raise QinglangError(f"unknown tier(s) {sorted(bad)}; tiers are {', '.join(TIERS)}")
        if image_hashes is not None and len(image_hashes) != n:
            raise QinglangError("give one list of image hashes per text")
        if reactions is not None and len(reactions) != n:
            raise QinglangError("give one list of reactions (or None) per text")
        out: list[ScreenResult] = []
        for a in range(0, n, BATCH):
            out.extend(self._batch(texts[a:a + BATCH], tiers[a:a + BATCH],
                                   image_hashes[a:a + BATCH] if image_hashes is not None else None, a,
                                   reactions[a:a + BATCH] if reactions is not None else None))
        return out

    def normalized_reactions(self, reactions: Sequence[Sequence[str] | str | None]) -> list[str]:
        """Per post its reactions joined (classifier.join_reactions) and normalised like posts."""
        from qinglang.detect.content.classifier import join_reactions

        joined = [join_reactions(r) for r in reactions]
        if not any(joined):
            return [""] * len(joined)
        nb = self.normalizer.batch(joined)
        return nb.norm.split("\x00")[: len(joined)]

    def _batch(self, texts, tiers, image_hashes, base: int, reactions=None) -> list[ScreenResult]:
        nb, hits, rules = self.rules(texts)
        n = len(texts)
        model_probs = {}
        with_reactions = None
        if self.model is not None:
            rm = np.zeros((n, len(self.model.rule_categories)), dtype=np.float32)
            idx = {c: i for i, c in enumerate(self.model.rule_categories)}
            for i, pr in rules.items():
                for c, s in pr.scores.items():
                    if c in idx:
                        rm[i, idx[c]] = s
            norm_reactions = None
            if reactions is not None and self.model.uses_reactions:
                norm_reactions = self.normalized_reactions(reactions)
                with_reactions = [bool(r) for r in norm_reactions]
            model_probs = self.model.predict(texts, rm, norm_texts=nb.norm.split("\x00")[:n],
                                             reactions=norm_reactions)
        reaction_cats = set(self.model.reaction_models) if with_reactions is not None else set()
        rumor_matches = self.rumors.match_batch(nb) if self.rumors is not None and len(self.rumors) else {}
        rumor_factor = self._rumor_factors(hits) if rumor_matches else {}
        image_matches = self.banks.match_posts(image_hashes) if self.banks is not None and image_hashes is not None \
            else {}
        norms = nb.norm.split("\x00")
        # posts with nothing to report take the fast path
        interesting = set(rules) | set(rumor_matches) | set(image_matches)
        model_items = [(c, np.asarray(p, dtype=np.float64)) for c, p in model_probs.items()]
        for _, p in model_items:
            interesting.update(np.flatnonzero(p >= MIN_REPORTED).tolist())
        thresholds = self._thresholds
        results = []
        for i in range(n):
            if i not in interesting:
                results.append(ScreenResult(base + i, "pass", {}, [], norms[i], tiers[i], {}))
                continue
            pr = rules.get(i)
            scores: dict[str, float] = {}
            signals: dict[str, dict] = {}
            if pr is not None:
                for c, s in pr.scores.items():
                    scores[c] = s
                    signals.setdefault(c, {})["rules"] = {"score": round(s, 4), "hits": pr.signals.get(c, [])}
                    if c in pr.contexts:
                        signals[c]["contexts"] = pr.contexts[c]
            for c, p in model_items:
                v = float(p[i])
                if (pr is not None and c in pr.scores) or v >= MIN_REPORTED:
                    signals.setdefault(c, {})["model"] = round(v, 4)
                    if c in reaction_cats and with_reactions[i]:
                        signals[c]["model_input"] = "post + reactions"
                scores[c] = v  # the model (which saw the rule score as a feature) decides
            m = rumor_matches.get(i)
            if m is not None:
                f = rumor_factor.get(i, 1.0)
                s = m.score * f
                signals.setdefault("rumor", {})["rumor_base"] = {"rumor_id": m.rumor_id, "similarity": m.similarity,
                                                                 "source": m.source, "weight": round(s, 4)}
                scores["rumor"] = max(scores.get("rumor", 0.0), s)
            for im in image_matches.get(i, ()):
                signals.setdefault(im.category, {}).setdefault("image_banks", []).append(
                    {"bank": im.bank, "image_hash": im.image_hash, "bank_id": im.bank_id, "distance": im.distance,
                     "weight": im.score})
                scores[im.category] = max(scores.get(im.category, 0.0), im.score)
            tier = tiers[i]
            decision = "pass"
            cats = {}
            th = thresholds[tier]
            for c in self.categories:
                s = scores.get(c)
                if s is None or s < MIN_REPORTED:
                    continue
                cats[c] = round(float(s), 4)
                r, b = th[c]
                d = "block" if s >= b else "review" if s >= r else "pass"
                if _ORDER[d] > _ORDER[decision]:
                    decision = d
            spans = pr.spans if pr is not None else []
            results.append(ScreenResult(base + i, decision, cats, spans, norms[i], tier,
                                        {c: v for c, v in signals.items() if c in cats}))
        return results

    def _rumor_factors(self, hits: Hits) -> dict[int, float]:
        if not len(hits) or not self._rumor_ctx:
            return {}
        ent = hits.entry
        out: dict[int, float] = {}
        sel = np.flatnonzero(np.isin(ent, np.fromiter(self._rumor_ctx, dtype=np.int64)))
        for j in sel.tolist():
            p = int(hits.post[j])
            out[p] = min(out.get(p, 1.0), self._rumor_ctx[int(ent[j])])
        return out

    def describe(self) -> dict:
        return {
            "pack": self.pack.summary(),
            "lexicon": self.lexicon.stats(),
            "model": (self.model.meta if self.model is not None else None),
            "rumors": len(self.rumors) if self.rumors is not None else 0,
            "image_hashes": len(self.banks) if self.banks is not None else 0,
        }
