"""Posts in Chinese: ordinary chatter, violations per category (some disguised),
hard benign posts on the same topics, rumour reposts and rewrites, images.

Who posts what: closed accounts and habitual violators post most violations
in their category; ordinary users share rumours and insult people now and
then; farms post little (aged farms more, batch farms some spam). Exactly
`disguise_share` of the violating posts that have key terms are disguised.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from qinglang.sim import avatars as A
from qinglang.sim import content_vocab as V
from qinglang.sim import disguise as D
from qinglang.sim import names as N
from qinglang.sim import population as P
from qinglang.sim.categories import (
    ABUSE, CATEGORY_NAMES, CONTENT_CATEGORIES, HEROES, ILLEGAL, MARKETING, RUMOR, SOFT_PORN,
)
from qinglang.sim.config import SimConfig, exact_count
from qinglang.sim.farms import AGED, BATCH, SLOW, Farms
from qinglang.sim.profiles import Profiles
from qinglang.sim.reincarnation import Comebacks

KEY_OPEN, KEY_CLOSE = "⟦", "⟧"
POST_RATE = {P.HEAD: 30.0, P.ACTIVE: 2.0, P.CASUAL: 0.7, P.DORMANT: 0.5}
FARM_POST_RATE = {BATCH: 0.3, SLOW: 0.4, AGED: 3.0}
#: Category mix of the occasional violations of ordinary users.
ORDINARY_VIOLATION_MIX = {RUMOR: 0.45, ABUSE: 0.35, MARKETING: 0.1, SOFT_PORN: 0.05, HEROES: 0.05}
HARD_MIX = {HEROES: 0.2, RUMOR: 0.25, SOFT_PORN: 0.15, MARKETING: 0.2, ABUSE: 0.12, ILLEGAL: 0.08}
IMAGE_P = {HEROES: 0.15, RUMOR: 0.25, SOFT_PORN: 0.6, MARKETING: 0.3, ABUSE: 0.05, ILLEGAL: 0.2}
BANK_MIX = {SOFT_PORN: 30, MARKETING: 12, RUMOR: 10, HEROES: 8}
POST_TRICK_P = {
    "homophone": 0.2, "pinyin": 0.12, "initials": 0.08, "separators": 0.14, "zero_width": 0.1, "traditional": 0.1,
    "split_chars": 0.08, "standins": 0.1, "full_width": 0.08,
}


@dataclass
class Posts:
    n: int
    author: np.ndarray  # int64
    created: np.ndarray  # int64
    text: list[str]
    images: list[list[str] | None]
    repost_of: list[str | None]
    category: np.ndarray  # int8, -1 = none
    disguised: np.ndarray  # bool
    tricks: list[str]
    hard_benign: np.ndarray  # bool
    hard_topic: np.ndarray  # int8, -1
    violating_image: np.ndarray  # bool
    rumor_id: np.ndarray  # int16, -1
    undisguised: list[str | None]
    bank: list[tuple[str, str]]  # (hash hex, category) of known violating images
    rumors: list[str]  # canonical text of every known rumour

    def ids(self) -> pa.Array:
        return pa.array([f"p{i:09d}" for i in range(self.n)], pa.string())


class Draw:
    """Fast uniform picks from a pre-drawn buffer (deterministic per generator)."""

    def __init__(self, rng: np.random.Generator, size: int = 1 << 20):
        self.rng = rng
        self.size = size
        self._refill()

    def _refill(self):
        self.buf = self.rng.integers(0, 1 << 30, self.size).tolist()
        self.i = 0

    def int(self, k: int) -> int:
        if self.i >= self.size:
            self._refill()
        v = self.buf[self.i]
        self.i += 1
        return v % k

    def pick(self, seq):
        return seq[self.int(len(seq))]

    def chance(self, p: float) -> bool:
        return self.int(1 << 20) < p * (1 << 20)


_FMT = string.Formatter()


def _alnum(d: Draw, k: int) -> str:
    return "".join(d.pick("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(k))


#: Slots filled by a uniform pick from a list.
_SIMPLE = {
    "hero": V.HEROES, "hero_insult": V.HERO_INSULTS, "insult": V.INSULTS, "city": N.CITIES, "money": V.MONEY,
    "thing": V.THINGS, "casino": V.CASINOS, "street": V.STREETS, "brand": N.BRAND_WORDS, "job": V.JOB_TITLES,
    "domain": V.DOMAINS, "time": V.TIMES, "activity": V.ACTIVITIES, "feeling": V.FEELINGS, "food": V.FOODS,
    "topic": V.TOPICS, "opinion": V.OPINIONS, "weather": V.WEATHER, "emo": V.EMOS, "word": V.WORDS,
}


def _slot_value(name: str, d: Draw, nick: str) -> str:
    lst = _SIMPLE.get(name)
    if lst is not None:
        return lst[d.int(len(lst))]
    if name == "nick":
        return nick
    if name == "wx":
        return d.pick(["", "wx_", "v", "Vx"]) + _alnum(d, 6 + d.int(4))
    if name == "qq":
        return str(10_000_000 + d.int(990_000_000))
    if name == "phone":
        return f"1{d.pick('3578')}{d.int(10)}{d.int(100_000_000):08d}"
    if name == "link":
        return d.pick(["http://t.cn/", "https://", "http://"]) + _alnum(d, 7) + d.pick(["", ".top", ".xyz", ".cc"])
    if name == "num":
        return str(2 + d.int(98))
    if name == "age":
        return str(15 + d.int(20))
    if name == "landline":
        return f"0{d.int(90) + 10}-{d.int(90_000_000) + 10_000_000}"
    if name == "n3":
        return f"{d.int(900) + 100}"
    if name == "n4":
        return f"{d.int(9000) + 1000}"
    raise KeyError(name)


_COMPILED: dict[str, list[tuple[str, str | None]]] = {}


def _fill(template: str, d: Draw, nick: str = "", **given: str) -> str:
    parts = _COMPILED.get(template)
    if parts is None:
        parts = _COMPILED[template] = [(lit, f or None) for lit, f, _, _ in _FMT.parse(template)]
    out = []
    for lit, f in parts:
        out.append(lit)
        if f is not None:
            out.append(given[f] if f in given else _slot_value(f, d, nick))
    return "".join(out)


def render_bulk(templates: list[str], which: np.ndarray, rng: np.random.Generator, nicks: pa.Array) -> list[str]:
    """Fill many templates at once with Arrow string kernels: item i uses templates[which[i]]."""
    import pyarrow.compute as pc

    out: list[str] = [""] * which.size
    for ti, tpl in enumerate(templates):
        idx = np.flatnonzero(which == ti)
        if idx.size == 0:
            continue
        cols = []
        for lit, f, _, _ in _FMT.parse(tpl):
            if lit:
                cols.append(pa.array([lit] * idx.size, pa.string()))
            if not f:
                continue
            if f in _SIMPLE:
                lst = _SIMPLE[f]
                cols.append(pa.array(lst, pa.string()).take(pa.array(rng.integers(0, len(lst), idx.size))))
            elif f == "num":
                cols.append(pa.array(rng.integers(2, 100, idx.size)).cast(pa.string()))
            elif f == "nick":
                cols.append(nicks.take(pa.array(idx)))
            else:
                raise KeyError(f)
        joined = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "")
        for i, txt in zip(idx.tolist(), joined.to_pylist()):
            out[i] = txt
    return out


def split_keys(marked: str) -> list[tuple[str, bool]]:
    """Split a marked text into (segment, is_key) parts."""
    out: list[tuple[str, bool]] = []
    rest = marked
    while rest:
        a = rest.find(KEY_OPEN)
        if a < 0:
            out.append((rest, False))
            break
        if a:
            out.append((rest[:a], False))
        b = rest.find(KEY_CLOSE, a)
        out.append((rest[a + 1 : b], True))
        rest = rest[b + 1 :]
    return out


def plain(marked: str) -> str:
    return marked.replace(KEY_OPEN, "").replace(KEY_CLOSE, "")


@functools.lru_cache(maxsize=1)
def rumor_texts() -> tuple[str, ...]:
    """Canonical text of each known rumour (the {city} slot is fixed per rumour)."""
    return tuple(r.replace("{city}", N.CITIES[(i * 7 + 3) % len(N.CITIES)]) for i, r in enumerate(V.RUMORS))


@functools.lru_cache(maxsize=None)
def _rumor_marked(i: int) -> str:
    t = rumor_texts()[i]
    for k in V.RUMOR_KEYS[i]:
        t = t.replace(k, KEY_OPEN + k + KEY_CLOSE, 1)
    return t


def _rewrite(text: str, d: Draw) -> str:
    """A light rewrite of a rumour: a few synonym swaps."""
    for a, b in V.RUMOR_SWAPS:
        if a in text and d.chance(0.5):
            text = text.replace(a, b, 1)
    return text


def _disguise(marked: str, tricks: list[str], rng: np.random.Generator) -> tuple[str, list[str]]:
    parts = split_keys(marked)
    used: list[str] = []
    whole_traditional = False
    for t in tricks:
        if t == "traditional":
            whole_traditional = True
            continue
        changed = False
        for j, (seg, key) in enumerate(parts):
            if not key:
                continue
            new = D.disguise_term(seg, t, rng)
            if new is not None and new != seg:
                parts[j] = (new, True)
                changed = True
        if changed:
            used.append(t)
    text = "".join(s for s, _ in parts)
    if whole_traditional:
        tt = D.traditional(text)
        if tt is not None:
            text = tt
            used.append("traditional")
    if not used:
        # Nothing applied (e.g. no key had a split form): separators always apply.
        parts = [((D.separators(s, rng) or s) if k else s, k) for s, k in parts]
        text = "".join(s for s, _ in parts)
        used.append("separators")
    return text, used


def build(
    cfg: SimConfig, pop: P.Population, farms: Farms, prof: Profiles, cb: Comebacks, rng: np.random.Generator
) -> Posts:
    n = pop.n
    d = Draw(rng)
    # How many posts each account writes.
    rate = np.zeros(n)
    for r, v in POST_RATE.items():
        rate[pop.role == r] = v
    fk = pop.farm >= 0
    rate[fk] = np.array([FARM_POST_RATE[BATCH], FARM_POST_RATE[AGED], FARM_POST_RATE[SLOW]])[farms.kind[pop.farm[fk]]]
    viol = pop.violator >= 0
    rate[viol] = rate[viol] * 3 + 6
    rate[cb.new] += 2
    rate *= rng.lognormal(0.0, 0.6, n)
    rate *= cfg.posts_per_account * n / max(rate.sum(), 1.0)
    counts = rng.poisson(rate)
    author = np.repeat(np.arange(n), counts)
    lo = pop.created[author]
    hi = np.maximum(np.minimum(pop.last_active[author], pop.end[author]), lo + 60)
    created = lo + (rng.random(author.size) * (hi - lo)).astype(np.int64)
    order = np.lexsort((author, created))
    author, created = author[order], created[order]
    m = author.size

    # Categories.
    category = np.full(m, -1, np.int8)
    a_viol = pop.violator[author]
    is_closed = pop.closed_at[author] > 0
    pv = np.where(a_viol >= 0, np.where(is_closed, 0.55, 0.4), 0.0)
    vpost = rng.random(m) < pv
    own = rng.random(m) < 0.8
    other_cat = rng.choice(CONTENT_CATEGORIES, m)
    category[vpost] = np.where(own[vpost], a_viol[vpost], other_cat[vpost])
    is_fake = pop.role[author] == P.FAKE
    batch_spam = is_fake & (farms.kind[np.maximum(pop.farm[author], 0)] == BATCH) & (rng.random(m) < 0.2)
    category[batch_spam] = MARKETING
    ordinary = (category < 0) & ~is_fake & (a_viol < 0)
    target = cfg.violation_share * m
    need = max(0.0, target - (category >= 0).sum())
    p_ord = min(0.5, need / max(ordinary.sum(), 1))
    occ = ordinary & (rng.random(m) < p_ord)
    cats = np.array(list(ORDINARY_VIOLATION_MIX))
    probs = np.array(list(ORDINARY_VIOLATION_MIX.values()))
    category[occ] = rng.choice(cats, occ.sum(), p=probs / probs.sum())

    # Hard benign posts (same topics, allowed), from ordinary users.
    hard_topic = np.full(m, -1, np.int8)
    free = np.flatnonzero((category < 0) & ~is_fake)
    n_hard = min(free.size, round(cfg.hard_benign_share * m))
    hard_idx = rng.choice(free, n_hard, replace=False)
    hc = np.array(list(HARD_MIX))
    hp = np.array(list(HARD_MIX.values()))
    hard_topic[hard_idx] = rng.choice(hc, n_hard, p=hp / hp.sum())
    hard = hard_topic >= 0

    # Rumours: which rumour each rumour post spreads; the earliest post of a rumour is its origin.
    rumor_id = np.full(m, -1, np.int16)
    rp = np.flatnonzero(category == RUMOR)
    rumor_id[rp] = rng.integers(0, len(V.RUMORS), rp.size)
    origin = np.full(len(V.RUMORS), -1, np.int64)
    for i in rp.tolist():  # posts are in time order
        if origin[rumor_id[i]] < 0:
            origin[rumor_id[i]] = i
    hr = np.flatnonzero(hard_topic == RUMOR)
    rumor_id[hr] = rng.integers(0, len(V.RUMORS), hr.size)

    # Images.
    bank_hashes = A.random_hashes(rng, sum(BANK_MIX.values()))
    bank_cat = np.repeat(list(BANK_MIX), list(BANK_MIX.values()))
    bank = [(f"{h:016x}", CATEGORY_NAMES[c]) for h, c in zip(bank_hashes.tolist(), bank_cat.tolist())]
    images: list[list[str] | None] = [None] * m
    violating_image = np.zeros(m, bool)
    image_only = np.zeros(m, bool)
    sp = np.flatnonzero(category == SOFT_PORN)
    image_only[sp[rng.random(sp.size) < 0.12]] = True

    text: list[str] = [""] * m
    undisguised: list[str | None] = [None] * m
    repost_of: list[str | None] = [None] * m
    marked: list[str | None] = [None] * m
    nick = prof.nickname
    head_kind = pop.head_kind
    comeback_first = set()
    if cb.n:
        first_post = {}
        for i, a in enumerate(author.tolist()):
            if pop.comeback_of[a] >= 0 and a not in first_post:
                first_post[a] = i
        comeback_first = {i for a, i in first_post.items() if rng.random() < 0.5}
    head_posts = np.flatnonzero((pop.role[author] == P.HEAD) & (category < 0) & ~hard)
    # Random mention targets: popular accounts.
    mention_pool = np.flatnonzero(pop.pop_rank < max(50, 0.02 * n))

    mention_of = mention_pool[rng.integers(0, mention_pool.size, m)]
    # Ordinary chatter (the bulk) is rendered in bulk; the rest post by post below.
    head_style = (head_kind[author] > 0) & (rng.random(m) < 0.7)
    bulk = (category < 0) & ~hard & ~head_style
    if comeback_first:
        bulk[np.array(sorted(comeback_first), np.int64)] = False
    bulk_idx = np.flatnonzero(bulk)
    nick_arr = pa.array(nick, pa.string())
    rendered = render_bulk(V.ORDINARY, rng.integers(0, len(V.ORDINARY), bulk_idx.size), rng,
                           nick_arr.take(pa.array(mention_of[bulk_idx])))
    for i, txt in zip(bulk_idx.tolist(), rendered):
        text[i] = txt

    cat_list = category.tolist()
    hard_list = hard_topic.tolist()
    auth_list = author.tolist()
    rid_list = rumor_id.tolist()
    for i in np.flatnonzero(~bulk).tolist():
        c = cat_list[i]
        a = auth_list[i]
        mention = nick[mention_of[i]]
        if c >= 0:
            cname = CATEGORY_NAMES[c]
            if c == RUMOR:
                r = rid_list[i]
                body = _rumor_marked(r)
                if origin[r] == i:
                    marked[i] = _fill(d.pick(V.RUMOR_PREFIX), d) + body + d.pick(V.RUMOR_SUFFIX)
                elif d.chance(0.5):
                    o = int(origin[r])
                    repost_of[i] = f"p{o:09d}"
                    comment = d.pick(["转发微博", "真的假的？", "天哪", "扩散", "转", "吓人"])
                    marked[i] = f"{comment}//@{nick[auth_list[o]]}:{body}"
                else:
                    marked[i] = _fill(d.pick(V.RUMOR_PREFIX), d) + _rewrite(body, d) + d.pick(V.RUMOR_SUFFIX)
            elif image_only[i]:
                text[i] = d.pick(V.IMAGE_ONLY_TEXTS)
            else:
                marked[i] = _fill(d.pick(V.VIOLATING[cname]), d, mention)
        elif hard_list[i] >= 0:
            h = hard_list[i]
            tpl = d.pick(V.HARD_BENIGN[CATEGORY_NAMES[h]])
            if h == RUMOR:
                text[i] = _fill(tpl, d, mention, rumor=rumor_texts()[rid_list[i]])
            else:
                text[i] = _fill(tpl, d, mention)
        elif i in comeback_first:
            text[i] = d.pick(V.COMEBACK_POSTS)
        else:
            text[i] = _fill(d.pick(V.HEAD_POSTS[P.HEAD_KIND_NAMES[head_kind[a]]]), d, mention)

    # Disguise an exact share of the violating posts that have key terms.
    violating = np.flatnonzero(category >= 0)
    cand = np.array([i for i in violating.tolist() if marked[i] is not None and KEY_OPEN in marked[i]], np.int64)
    n_dis = min(cand.size, exact_count(cfg.disguise_share, violating.size))
    dis_idx = np.sort(rng.choice(cand, n_dis, replace=False)) if n_dis else np.empty(0, np.int64)
    disguised = np.zeros(m, bool)
    disguised[dis_idx] = True
    tricks: list[str] = [""] * m
    tnames = list(POST_TRICK_P)
    tp = np.array(list(POST_TRICK_P.values()))
    for i in dis_idx.tolist():
        k = 1 if rng.random() < 0.65 else 2
        chosen = [str(t) for t in rng.choice(tnames, k, replace=False, p=tp / tp.sum())]
        text[i], used = _disguise(marked[i], chosen, rng)
        tricks[i] = ";".join(used)
        undisguised[i] = plain(marked[i])
    for i in range(m):
        if marked[i] is not None and not disguised[i]:
            text[i] = plain(marked[i])

    # Ordinary reposts of head accounts' posts (a few of them point at deleted originals).
    if head_posts.size:
        cand_r = np.flatnonzero((category < 0) & ~hard & ~is_fake & (rng.random(m) < 0.08))
        for i in cand_r.tolist():
            j = int(np.searchsorted(head_posts, i)) - 1
            if j < 0:
                continue
            o = int(head_posts[d.int(j + 1)])
            if d.chance(0.05):
                repost_of[i] = f"p{9_000_000_000 + d.int(1 << 30)}"
                text[i] = "转发微博"
                continue
            repost_of[i] = f"p{o:09d}"
            text[i] = d.pick(["转发微博", d.pick(V.OPINIONS)]) + f"//@{nick[auth_list[o]]}:" + text[o][:60]

    # Attach images.
    cat_img_p = np.zeros(m)
    for c, p in IMAGE_P.items():
        cat_img_p[category == c] = p
    cat_img_p[category < 0] = 0.18
    cat_img_p[(hard_topic == SOFT_PORN)] = 0.3
    cat_img_p[image_only] = 1.0
    with_img = rng.random(m) < cat_img_p
    nimg = rng.choice([1, 1, 1, 2, 3, 4, 9], m)
    from_bank = (category >= 0) & (image_only | (rng.random(m) < 0.7))
    img_posts = np.flatnonzero(with_img)
    per = nimg[img_posts]
    offs = np.concatenate([[0], np.cumsum(per)])
    hashes = A.random_hashes(rng, int(offs[-1]))
    first = offs[:-1]
    fb = from_bank[img_posts]
    # Violating pictures: a banked image of the post's category, exact or a few bits away.
    bank_pick = np.zeros(img_posts.size, np.int64)
    for c in np.unique(category[img_posts[fb]]).tolist():
        pool = np.flatnonzero(bank_cat == c)
        if pool.size == 0:
            pool = np.arange(bank_hashes.size)
        sel = fb & (category[img_posts] == c)
        bank_pick[sel] = pool[rng.integers(0, pool.size, sel.sum())]
    chosen = bank_hashes[bank_pick[fb]]
    near = rng.random(chosen.size) < 0.5
    chosen[near] = A.flip_bits(rng, chosen[near], 1, 6)
    hashes[first[fb]] = chosen
    violating_image[img_posts[fb]] = True
    # Benign pictures that resemble a banked one (hard negatives for image matching).
    hn = ~fb & (rng.random(img_posts.size) < 0.03)
    hashes[first[hn]] = A.flip_bits(rng, bank_hashes[rng.integers(0, bank_hashes.size, hn.sum())], 14, 20)
    hex_all = [f"{h:016x}" for h in hashes.tolist()]
    for j, i in enumerate(img_posts.tolist()):
        images[i] = hex_all[offs[j] : offs[j + 1]]

    return Posts(
        n=m,
        author=author,
        created=created,
        text=text,
        images=images,
        repost_of=repost_of,
        category=category,
        disguised=disguised,
        tricks=tricks,
        hard_benign=hard,
        hard_topic=hard_topic,
        violating_image=violating_image,
        rumor_id=rumor_id,
        undisguised=undisguised,
        bank=bank,
        rumors=list(rumor_texts()),
    )
